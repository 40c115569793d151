"""`reel evaluate`: quality metrics of a rendered talking head, measured from its frames and audio."""
