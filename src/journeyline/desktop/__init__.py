"""The agent desktop: pages, sign-in and the live feed."""
