"""Prices: rate cards, their loading and validation, currency conversion, BSP fees, usage."""
