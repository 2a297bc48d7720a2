"""CrossGuard entry point: `pulumi preview --policy-pack policies [--policy-pack-config policies/config.prod.json]`.

The rules are plain functions in policies/rules; this file only adapts them to CrossGuard.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from policies.rules import RULES, Resource  # noqa: E402

PRODUCTION_SCHEMA = PolicyConfigSchema(properties={"production": {"type": "boolean", "default": False}})


def _resource_policy(rule):
    def validate(args, report_violation):
        for msg in rule.validate(Resource(args.resource_type, args.name, args.props), args.get_config() or {}):
            report_violation(msg)

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate,
                                    config_schema=PRODUCTION_SCHEMA if rule.production_only else
                                    PolicyConfigSchema(properties=rule.config_schema) if rule.config_schema else None)


def _stack_policy(rule):
    def validate(args, report_violation):
        resources = [Resource(r.resource_type, r.name, r.props) for r in args.resources]
        for name, msg in rule.validate_stack(resources, args.get_config() or {}):
            urn = next((r.urn for r in args.resources if r.name == name), None)
            report_violation(msg, urn)

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate)


PolicyPack(
    name="infermon-policies",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[_resource_policy(r) if r.validate else _stack_policy(r) for r in RULES],
)
