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
    "Form refused": "Formulaire refusé",
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
    "Password": "Mot de passe",
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
    "Sign in": "Se connecter",
    "Sign out": "Se déconnecter",
    "Skip to content": "Aller au contenu",
    "Something went wrong": "Une erreur s’est produite",
    "Started": "Début",
    "Status": "Statut",
    "The email or the password is not right.": "L’adresse e-mail ou le mot de passe est incorrect.",
    "This form has expired or did not come from this site. Please try again.": "Ce formulaire a expiré ou ne vient pas de ce site. Veuillez réessayer.",
    "This form has expired or did not come from this site: nothing was changed. Go back, reload the page and try again.": "Ce formulaire a expiré ou ne vient pas de ce site : rien n’a été modifié. Revenez en arrière, rechargez la page et réessayez.",
    "Title": "Fonction",
    "Too many failed sign-ins: this account is locked. Try again in %(minutes)s min.": "Trop d’échecs de connexion : ce compte est verrouillé. Réessayez dans %(minutes)s min.",
    "Type": "Type",
    "Type a name, a phone number in any format, an email or a visitor id.": (
        "Tapez un nom, un numéro de téléphone dans n’importe quel format, un e-mail ou un id de visiteur."
    ),
    "Unmerge": "Défusionner",
    "Unknown": "Inconnu",
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
    "Unknown": "Inconnu",
    "This was not accepted: check what you typed and try again.": "Ceci n’a pas été accepté : vérifiez ce que vous avez saisi et réessayez.",
    "Your role may not do this.": "Votre rôle ne permet pas de faire ceci.",
    "There is nothing here: it may have been deleted, merged or never existed.": "Il n’y a rien ici : cela a peut-être été supprimé, fusionné, ou n’a jamais existé.",
    "This cannot be done now: reload the page and try again.": "Ceci ne peut pas être fait maintenant : rechargez la page et réessayez.",
    "Name exactly one person to verify the session as: a contact id, an email or a phone number.": "Indiquez exactement une personne pour vérifier la session : un identifiant de contact, un e-mail ou un numéro de téléphone.",
    "Only an ended conversation takes a wrap-up code.": "Seule une conversation terminée reçoit un code de clôture.",
    "There is no such wrap-up code.": "Ce code de clôture n’existe pas.",
    "This conversation has a wrap-up code already.": "Cette conversation a déjà un code de clôture.",
    "(not plain ASCII: may look like another address)": (
        "(pas en ASCII simple : peut ressembler à une autre adresse)"
    ),
    "the customer, in the address they wrote from (anyone can)": (
        "le client, dans l’adresse d’où il a écrit (n’importe qui le peut)"
    ),
}


#: The admin screens (desktop/admin*.py, templates/admin/).
FR |= {
    "#RRGGBB, for example #2f6fdf": "#RRVVBB, par exemple #2f6fdf",
    "1 to 100; the default is 2.": "De 1 à 100 ; 2 par défaut.",
    "Action maps": "Cartes d’actions",
    "Action templates": "Modèles d’actions",
    "Actions": "Actions",
    "Add": "Ajouter",
    "Agents": "Agents",
    "All domains": "Tous les domaines",
    "Allow all domains": "Autoriser tous les domaines",
    "Allowed domains": "Domaines autorisés",
    "Assignment expires after (days)": "L’attribution expire après (jours)",
    "Breadcrumb": "Fil d’Ariane",
    "Changed": "Modifié",
    "Client id": "Identifiant du client",
    "Client secret": "Secret du client",
    "Collect IP addresses": "Collecter les adresses IP",
    "Colour": "Couleur",
    "Conditions and other settings (JSON, as the API takes them)": (
        "Conditions et autres réglages (JSON, comme l’API les prend)"
    ),
    "Copied": "Copié",
    "Copy it now: it is shown this once, and cannot be read back.": (
        "Copiez-le maintenant : il n’est montré qu’une fois et ne peut pas être relu."
    ),
    "Copy the secret": "Copier le secret",
    "Copy the tag": "Copier la balise",
    "Create": "Créer",
    "Created": "Créé",
    "Created.": "Créé.",
    "Dead letters": "Lettres mortes",
    "Delete": "Supprimer",
    "Deleted": "Supprimé",
    "Deleted.": "Supprimé.",
    "Deliveries to flows that were given up on. Replaying one tries it again from now.": (
        "Les envois aux flux abandonnés. En rejouer un le retente dès maintenant."
    ),
    "Deployments": "Déploiements",
    "Description": "Description",
    "Directory": "Annuaire",
    "Done": "Terminé",
    "Flow": "Flux",
    "Flow id": "Identifiant du flux",
    "Flow registered": "Flux enregistré",
    "Flows": "Flux",
    "For customer segments; leave empty for none.": (
        "Pour les segments de clients ; laisser vide pour aucune."
    ),
    "Goals a journey can reach, such as a purchase.": (
        "Les objectifs qu’un parcours peut atteindre, comme un achat."
    ),
    "Groups of visitors and customers, matched by what they do.": (
        "Des groupes de visiteurs et de clients, reconnus à ce qu’ils font."
    ),
    "Id": "Identifiant",
    "Id (optional)": "Identifiant (facultatif)",
    "Inactive": "Inactif",
    "Last error": "Dernière erreur",
    "Name": "Nom",
    "New OAuth client": "Nouveau client OAuth",
    "New action map": "Nouvelle carte d’actions",
    "New action template": "Nouveau modèle d’action",
    "New deployment": "Nouveau déploiement",
    "New name for %(name)s": "Nouveau nom pour %(name)s",
    "New outcome": "Nouveau résultat",
    "New segment": "Nouveau segment",
    "Next page": "Page suivante",
    "No": "Non",
    "No dead letters.": "Aucune lettre morte.",
    "None": "Aucun",
    "None yet.": "Aucun pour l’instant.",
    "OAuth client created": "Client OAuth créé",
    "OAuth clients": "Clients OAuth",
    "One a line: example.com, or *.example.com for its subdomains.": (
        "Un par ligne : example.com, ou *.example.com pour ses sous-domaines."
    ),
    "Outcomes": "Résultats",
    "Page %(number)s of %(pages)s": "Page %(number)s sur %(pages)s",
    "Pages": "Pages",
    "Previous page": "Page précédente",
    "Programs that call the API with client credentials.": (
        "Les programmes qui appellent l’API avec des identifiants de client."
    ),
    "Put this tag on every page of the site.": "Placez cette balise sur chaque page du site.",
    "Queues": "Files d’attente",
    "Queues, agents and wrap-up codes: the names session cards show.": (
        "Files d’attente, agents et codes de clôture : les noms que montrent les cartes."
    ),
    "Register": "Enregistrer",
    "Register a flow": "Enregistrer un flux",
    "Rename": "Renommer",
    "Replay": "Rejouer",
    "Replay all": "Tout rejouer",
    "Replayed.": "Rejoué.",
    "Role": "Rôle",
    "Save": "Enregistrer",
    "Saved.": "Enregistré.",
    "Segments": "Segments",
    "Signing secret": "Secret de signature",
    "State": "État",
    "The content of offers that action maps show.": (
        "Le contenu des offres que montrent les cartes d’actions."
    ),
    "The rest of the definition as in docs/definitions.md: criteria, patterns, the action. "
    "The fields above win over the same keys here.": (
        "Le reste de la définition, comme dans docs/definitions.md : critères, motifs, "
        "l’action. Les champs ci-dessus l’emportent sur les mêmes clés ici."
    ),
    "The role decides what the client may do: ingest only sends conversation events, "
    "admin may do everything.": (
        "Le rôle décide de ce que le client peut faire : ingest envoie seulement des "
        "événements de conversation, admin peut tout faire."
    ),
    "To mirror the id your contact centre uses; a new one is made otherwise.": (
        "Pour reprendre l’identifiant de votre centre de contact ; sinon il en est créé un."
    ),
    "Tracker tag": "Balise de suivi",
    "Tries": "Essais",
    "URL": "URL",
    "Version": "Version",
    "Webhooks that action maps call, and the deliveries that failed.": (
        "Les webhooks qu’appellent les cartes d’actions, et les envois qui ont échoué."
    ),
    "Websites that send web events, and the tracker tag to put on their pages.": (
        "Les sites qui envoient des événements web, et la balise de suivi à mettre sur "
        "leurs pages."
    ),
    "Weight": "Poids",
    "What to offer or trigger, when, and for whom.": (
        "Quoi proposer ou déclencher, quand, et pour qui."
    ),
    "Where journeyline posts, signed with the flow’s secret.": (
        "Où journeyline envoie, signé avec le secret du flux."
    ),
    "Wrap-up codes": "Codes de clôture",
    "Yes": "Oui",
    "deleted": "supprimé",
    "ingest": "ingest",
    "12 characters at least. Without an email and a password, the user is a name in the "
    "directory and cannot sign in.": (
        "12 caractères au moins. Sans e-mail ni mot de passe, l’utilisateur est un nom de "
        "l’annuaire et ne peut pas se connecter."
    ),
    "New user": "Nouvel utilisateur",
    "None: cannot sign in": "Aucun : ne peut pas se connecter",
    "Users": "Utilisateurs",
    "Who signs in to the desktop: their email, password and role.": (
        "Qui se connecte au bureau : son e-mail, son mot de passe et son rôle."
    ),
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
