"""Graph's rate limiting: the pure parts live in `bot.ratelimit`, shared with Teams delivery."""

from bot.ratelimit import RETRYABLE_STATUSES, Clock, RateLimiter, RetryPolicy, Sleep, parse_retry_after

__all__ = ["RETRYABLE_STATUSES", "Clock", "RateLimiter", "RetryPolicy", "Sleep", "parse_retry_after"]
