"""The local Exact Online sandbox: data (World), OAuth, rate limits, faults, webhooks."""
