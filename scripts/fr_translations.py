"""Fill the French catalogue from the table below (a translator's tool; run by hand, then
``scripts/translations``). Entries already translated in the .po are kept."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

FR = {
    "%(count)s connected": "%(count)s en ligne",
    "%(count)s people found.": "%(count)s personnes trouvées.",
    "%(count)s waiting, longest %(wait)s": "%(count)s en attente, la plus longue %(wait)s",
    "A session not linked to anyone": "Une session liée à personne",
    "Abandoned": "Abandonnée",
    "Active": "Active",
    "Admin": "Administration",
    "After-call work": "Après-appel",
    "Agent": "Agent",
    "App": "Application",
    "App session": "Session d’application",
    "Assign": "Attribuer",
    "Back to the desktop": "Retour au bureau",
    "Call": "Appel",
    "Chat": "Chat",
    "Conflict": "Conflit",
    "Connected": "Connecté",
    "Connected, by agent": "En ligne, par agent",
    "Contact type": "Type de contact",
    "Conversation": "Conversation",
    "Cookie": "Cookie",
    "Curated": "Vérifié",
    "Current page": "Page actuelle",
    "Custom event": "Événement personnalisé",
    "Dialing": "Numérotation",
    "Duration": "Durée",
    "Email": "E-mail",
    "Ended": "Terminée",
    "Ended by agent": "Terminé par l’agent",
    "Ended by customer": "Terminé par le client",
    "Ended in IVR": "Terminé dans le SVI",
    "Ended in bot": "Terminé dans le bot",
    "Ephemeral": "Éphémère",
    "ExternalId": "Identifiant externe",
    "Find a person": "Trouver une personne",
    "Form abandoned": "Formulaire abandonné",
    "Form submitted": "Formulaire envoyé",
    "Home phone": "Téléphone domicile",
    "Identified": "Identifié",
    "Identifiers": "Identifiants",
    "In IVR": "Dans le SVI",
    "In bot": "Avec le bot",
    "Inbound call": "Appel entrant",
    "Journey": "Parcours",
    "Journey map": "Carte du parcours",
    "Language": "Langue",
    "Loading…": "Chargement…",
    "Main": "Principal",
    "Merge": "Fusionner",
    "Merge with (contact id, email or phone)": "Fusionner avec (id de contact, e-mail ou téléphone)",
    "Merged contacts": "Contacts fusionnés",
    "Messaging": "Messagerie",
    "Mobile phone": "Téléphone mobile",
    "Name exactly one other person: a contact id, an email or a phone number.": (
        "Indiquez une seule autre personne : un id de contact, un e-mail ou un numéro de téléphone."
    ),
    "Name the contact to merge with.": "Indiquez le contact avec lequel fusionner.",
    "Name, phone, email or visitor id": "Nom, téléphone, e-mail ou id de visiteur",
    "No agent": "Sans agent",
    "No conversation is connected.": "Aucune conversation en ligne.",
    "No events yet.": "Aucun événement pour l’instant.",
    "No identifiers.": "Aucun identifiant.",
    "No queue": "Sans file",
    "No sessions yet.": "Aucune session pour l’instant.",
    "No visitor is browsing.": "Aucun visiteur ne navigue.",
    "Nobody is waiting.": "Personne n’attend.",
    "Nobody matches “%(query)s”.": "Personne ne correspond à « %(query)s ».",
    "Not allowed": "Non autorisé",
    "Not answered": "Sans réponse",
    "Not found": "Introuvable",
    "Not verified": "Non vérifié",
    "Now": "Maintenant",
    "Offer": "Offre",
    "Older sessions": "Sessions plus anciennes",
    "Only the first %(count)s events are shown.": "Seuls les %(count)s premiers événements sont affichés.",
    "Other email": "Autre e-mail",
    "Other phone": "Autre téléphone",
    "Outbound call": "Appel sortant",
    "Outcome achieved": "Objectif atteint",
    "Page viewed": "Page vue",
    "Pages viewed": "Pages vues",
    "Personal email": "E-mail personnel",
    "Phone": "Téléphone",
    "Proactive web chat": "Chat web proactif",
    "Proactive web messaging": "Messagerie web proactive",
    "Queue": "File d’attente",
    "Routed": "Acheminé",
    "Screen viewed": "Écran vu",
    "Search": "Rechercher",
    "Searched": "Recherche",
    "Searches": "Recherches",
    "Segment matched": "Segment atteint",
    "Segment no longer matched": "Segment quitté",
    "Session": "Session",
    "Show URLs": "Afficher les URL",
    "Sign out": "Se déconnecter",
    "Skip to content": "Aller au contenu",
    "Something went wrong": "Une erreur s’est produite",
    "Started": "Début",
    "Status": "Statut",
    "Title": "Fonction",
    "Type": "Type",
    "Type a name, a phone number in any format, an email or a visitor id.": (
        "Tapez un nom, un numéro de téléphone dans n’importe quel format, un e-mail ou un id de visiteur."
    ),
    "Unmerge": "Défusionner",
    "Value": "Valeur",
    "Verified": "Vérifié",
    "Verify as this person": "Vérifier comme cette personne",
    "Verify": "Vérifier",
    "Verify as (contact id, email or phone)": "Vérifier comme (id de contact, e-mail ou téléphone)",
    "Verify it as the person it is: a contact id, an email or a phone number.": (
        "Vérifiez-la comme la personne qu’elle est : un id de contact, un e-mail ou un numéro"
        " de téléphone."
    ),
    "Visitors browsing": "Visiteurs en ligne",
    "Voicemail": "Messagerie vocale",
    "Waiting": "En attente",
    "Waiting in queues": "En attente dans les files",
    "Web": "Web",
    "Web chat": "Chat web",
    "Web messaging": "Messagerie web",
    "Web session": "Session web",
    "Work email": "E-mail professionnel",
    "Work phone": "Téléphone professionnel",
    "Wrap-up": "Code de clôture",
    "Wrap-up code": "Code de clôture",
    "abandoned": "abandonnée",
    "accepted": "acceptée",
    "admin": "administrateur",
    "agent": "agent",
    "completed": "terminée",
    "engaged": "engagée",
    "errored": "en erreur",
    "ignored": "ignorée",
    "offered": "proposée",
    "qualified": "qualifiée",
    "rejected": "refusée",
    "supervisor": "superviseur",
    "timed out": "expirée",
    "waiting": "en attente",
}


def main() -> int:
    path = Path(__file__).resolve().parent.parent / "src/journeyline/desktop/locale/fr/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    catalog.fuzzy = False
    missing = []
    for message in catalog:
        if not message.id or message.string:
            continue
        if message.id in FR:
            message.string = FR[message.id]
        else:
            missing.append(message.id)
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, sort_output=True)
    for one in missing:
        print("untranslated:", one, file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
