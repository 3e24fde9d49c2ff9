enum _PlaceholderAPIProxy {}
