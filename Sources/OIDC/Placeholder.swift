enum _PlaceholderOIDC {}
