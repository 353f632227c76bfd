"""Built-in recipes: ``hello``, ``tabletop``, ``clevr``, ``bin`` (see each module)."""
