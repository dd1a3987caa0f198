"""BERT's WordPiece tokenizer: moved to `builders/wordpiece.py`, shared with `app.Text`; kept here for
the LiT page's imports."""

from ...wordpiece import WordPiece

__all__ = ["WordPiece"]
