#!/bin/sh
# Stands in for `ssh registry-2.internal cat /etc/distribution/config.yml`: prints the
# deployed config of prod-eu-2 on stdout (a command source: argv, no shell, stdout is the config).
cat "$(dirname "$0")/prod-eu-2.yml"
