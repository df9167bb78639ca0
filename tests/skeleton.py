"""The pass mark under which tests of the job's mechanics accept the offline author's drafts.

The offline author writes a working skeleton, not a finished skill: the validator scores its
drafts about 0.55-0.65, below the default pass mark (0.75), as it should, since they say little
that the task text had not. Tests of checkpoints, retries, restarts and the API run offline and
accept the skeleton with this pass mark; tests of the judgement itself keep the default.
"""

SKELETON_PASS_THRESHOLD = 0.4
