"""Multi-task LoRA training of InstructERC with TRL.

    accelerate launch examples/sft.py --config recipes/meld/instructerc.yaml
    accelerate launch --config_file recipes/accelerate_configs/multi_gpu_ddp.yaml examples/sft.py \
        --config recipes/unified/ratio_mix.yaml --fraction 1/8
    python examples/sft.py --config recipes/meld/smollm2_cpu_smoke.yaml     # CPU, a few minutes
    python examples/sft.py --config recipes/meld/smollm2_cpu_smoke.yaml --max_length 512 --use_demonstrations true \
        --demonstration_injection collator --demonstration_strategy per_label  # demonstrations drawn every epoch

Arguments: the fields of ``ERCDataArguments``, ``ERCTaskArguments`` and ``ERCRetrievalArguments``
(``instructerc_hf.training.arguments``) and of TRL's ``SFTConfig`` and ``ModelConfig``, as recipe keys or ``--name value``
options (the command line wins). ``python examples/sft.py --help`` lists them all; see ``instructerc_hf.training``
for the schedule and what ``output_dir`` holds at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

from instructerc_hf.training.schedule import main as train_main
from instructerc_hf.training.summary import TrainingSummary


def main(argv: Sequence[str] | None = None) -> TrainingSummary:
    return train_main(argv)


if __name__ == "__main__":
    main()
