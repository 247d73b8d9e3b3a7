"""s1assist: grounded, cited answers about the S1 nerve root, sciatica and the SI joint."""

__version__ = "0.1.0"
