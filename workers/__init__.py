"""RQ jobs and the filter pipeline; imports from `service`, never the other way round."""
