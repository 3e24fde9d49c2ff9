enum _PlaceholderProxyCore {}
