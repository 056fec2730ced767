"""Reports: score and KPI maths, report queries, targets, charts, exports and the dashboard."""
