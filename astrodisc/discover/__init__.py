"""Finding things in an artifact set: the hunt that learns, the labeling queue, sub-classes, search by upload."""
