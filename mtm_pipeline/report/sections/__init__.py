"""The sections of the quarterly report, one module each, in the order report.compose.SECTIONS writes them."""
