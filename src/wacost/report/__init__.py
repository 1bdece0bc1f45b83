"""The report: the typed estimate (`model`), its JSON codec (`codec`, `document`)."""
