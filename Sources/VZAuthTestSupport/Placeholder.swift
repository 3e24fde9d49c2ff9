enum _PlaceholderVZAuthTestSupport {}
