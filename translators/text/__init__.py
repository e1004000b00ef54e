"""Text analysis: segmentation, language detection, protected spans, quotes, HTML, offsets."""
