"""Offline render: the real program under the Pulumi SDK mock engine, written to files and validated."""
