"""The learned template classifier: text and template reading, features, the shipped model.

The public API is :mod:`wacost.classify`; this package holds its parts:

* :mod:`wacost.classifier.text` reads a template (texts, buttons, components) and
  normalizes and tokenizes its words, keeping where each word came from for quoting;
* :mod:`wacost.classifier.lexicon` holds the concept lexicon and finds its phrases;
* :mod:`wacost.classifier.features` turns a template into named, interpretable features
  (word n-grams, lexicon concepts and their neighbours, buttons, placeholders, promo cues);
* ``model.json`` holds the weights learned by ``scripts/train_classifier.py``, the lexicon
  and the calibration, so nothing is trained or downloaded at run time.
"""
