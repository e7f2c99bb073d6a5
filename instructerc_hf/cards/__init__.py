"""Dataset and model cards, rendered from Jinja templates (``templates/``) and card-data classes."""
