"""The app: `POST /verify-challenge`, step 4 of Rupt's challenge flow for a login."""
