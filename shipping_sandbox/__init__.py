"""ShippyPro-compatible sandbox API: deterministic traffic generator, server and fault injection."""
