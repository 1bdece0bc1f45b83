"""Templates: their definitions (Meta's export) and the verdict on the category a row is billed in.

The classifier itself is `wacost.classify` (with its data in `wacost/classifier_data/`).
"""
