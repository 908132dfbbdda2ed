"""The embedded profile (aiida_symclf.utils.profile)."""

from __future__ import annotations


def test_embedded_profile_polls_children_every_second(tmp_path):
    """A new embedded profile sets runner.poll.interval (aiida-core's default, 60 s, would stall nested WorkChains)."""
    import json
    import os
    import subprocess
    import sys

    environment = {**os.environ, 'AIIDA_PATH': str(tmp_path)}
    command = [sys.executable, '-m', 'aiida_symclf.utils.profile', '--name', 'polltest']
    subprocess.run(command, env=environment, check=True, capture_output=True)
    config = json.loads((tmp_path / '.aiida' / 'config.json').read_text())
    assert config['profiles']['polltest']['options']['runner.poll.interval'] == 1


def test_older_profile_gets_the_interval_but_a_users_choice_stays(tmp_path):
    import json
    import os
    import subprocess
    import sys

    environment = {**os.environ, 'AIIDA_PATH': str(tmp_path)}
    command = [sys.executable, '-m', 'aiida_symclf.utils.profile', '--name', 'older']
    path = tmp_path / '.aiida' / 'config.json'

    def run_with_option(value):
        config = json.loads(path.read_text())
        options = config['profiles']['older']['options']
        options.pop('runner.poll.interval')
        if value is not None:
            options['runner.poll.interval'] = value
        path.write_text(json.dumps(config))
        subprocess.run(command, env=environment, check=True, capture_output=True)
        return json.loads(path.read_text())['profiles']['older']['options']['runner.poll.interval']

    subprocess.run(command, env=environment, check=True, capture_output=True)
    assert run_with_option(None) == 1  # created before the setting existed: set now
    assert run_with_option(5) == 5  # set by the user: kept
