"""What people record: labels (the LabelDB), saved subsets, backups, agreement between annotators.

``from astrodisc.labels import Label, LabelDB`` is the label store's public name (kept from before the rooms).
"""

from astrodisc.labels.database import Label, LabelDB

__all__ = ["Label", "LabelDB"]
