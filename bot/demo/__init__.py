"""A deterministic demo tenant in Microsoft Graph v1.0 shapes, for demos, benchmarks and tests."""

from bot.demo.tenant import (
    DEMO_TENANT_ID,
    GENERALISTS,
    GROUND_TRUTH,
    RISING,
    TOPICS,
    DemoGroundTruth,
    DemoTopic,
    demo_ground_truth,
    generate_demo_tenant,
    write_demo_tenant,
)

__all__ = [
    "DEMO_TENANT_ID",
    "GENERALISTS",
    "GROUND_TRUTH",
    "RISING",
    "TOPICS",
    "DemoGroundTruth",
    "DemoTopic",
    "demo_ground_truth",
    "generate_demo_tenant",
    "write_demo_tenant",
]
