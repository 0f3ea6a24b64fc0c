"""Registration (登记) of data products and datasets, per the registration measures
(发改数据规〔2025〕26号): codes, validity, acts (first, change, correction, cancellation, renewal),
materials and content fingerprints (存证)."""
