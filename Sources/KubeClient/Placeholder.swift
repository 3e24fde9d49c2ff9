enum _PlaceholderKubeClient {}
