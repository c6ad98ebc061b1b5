"""Singer tap for ShippyPro-style multi-carrier APIs with normalised exception events."""
