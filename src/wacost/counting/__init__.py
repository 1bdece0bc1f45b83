"""Counting: batch reduction, the recipient ledger, and the pipeline that reads a campaign."""
