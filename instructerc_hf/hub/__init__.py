"""The Hugging Face Hub: reading a repo's files (:mod:`.files`), pushing folders (:mod:`.push`), publishing adapters
and the metric (:mod:`.publish`)."""
