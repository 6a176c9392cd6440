#!/usr/bin/env bash
# Regenerates the example baseline repository examples/baselines.git (a bare git repository,
# committed as plain files) with commits signed by a fresh EXAMPLE key, and writes that key's
# public half to examples/trust/allowed_signers. The private key is thrown away.
#
# This is how the shipped example's trust is set up. It is an example only: real users keep
# their baselines in their own repository, sign with their own keys, and keep allowed_signers
# outside that repository (see baselines/README.md).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 HOME="$work"
ssh-keygen -q -t ed25519 -N '' -C example-approver -f "$work/key"
git init -q -b main "$work/repo"
mkdir -p "$work/repo/prod" "$work/repo/mirror"
cp ../baselines/registry-3.x.yml "$work/repo/prod/registry.yml"
cp ../baselines/registry-2.8.yml "$work/repo/mirror/registry.yml"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name="Example Approver" -c user.email=example-approver@regdrift.invalid \
  -c gpg.format=ssh -c user.signingkey="$work/key" \
  -c commit.gpgsign=true commit -q -m "Approve the prod and mirror registry baselines (example)"
rm -rf baselines.git
git clone -q --bare "$work/repo" baselines.git
rm -rf baselines.git/hooks baselines.git/logs baselines.git/description baselines.git/info
git -C baselines.git config --unset remote.origin.url || true
# Loose ref instead of packed-refs: git does not track empty directories, and a repository
# needs refs/ to exist.
head=$(git -C baselines.git rev-parse main)
rm -f baselines.git/packed-refs
mkdir -p baselines.git/refs/heads
echo "$head" > baselines.git/refs/heads/main
echo "example-approver@regdrift.invalid namespaces=\"git,regdrift-baseline\" $(cut -d' ' -f1,2 "$work/key.pub") EXAMPLE-KEY-do-not-trust" > trust/allowed_signers
echo "regenerated examples/baselines.git and examples/trust/allowed_signers"
