#!/usr/bin/env bash
# Runs the plugin's Jenkins-free tests (the classes that need no Jenkins type, and their tests)
# where Maven cannot build the plugin (the Jenkins repository is unreachable). Compiles them with
# javac and runs them with the JUnit console launcher, against the shaded core CLI the plugin bundles.
#   cd <project root> && ./mvnw -B -q -o -Djenkins.skip -pl shared-core -DskipTests package
#   jenkins-plugin/scripts/plain-tests.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
plugin="$root/jenkins-plugin"
m2="${M2_REPO:-$HOME/.m2/repository}"
junit_version=6.0.1
spotbugs="$m2/com/github/spotbugs/spotbugs-annotations/4.9.8/spotbugs-annotations-4.9.8.jar"
console="$m2/org/junit/platform/junit-platform-console-standalone/$junit_version/junit-platform-console-standalone-$junit_version.jar"
for jar in "$spotbugs" "$console"; do
  if [ ! -f "$jar" ]; then
    a="$(basename "$jar" .jar)"
    case "$a" in
      spotbugs-*) coords=com.github.spotbugs:spotbugs-annotations:4.9.8 ;;
      *) coords=org.junit.platform:junit-platform-console-standalone:$junit_version ;;
    esac
    (cd "$root" && ./mvnw -B -q -N dependency:get -Dartifact="$coords")
  fi
done
core="$root/shared-core/target/taskbound.jar"
[ -f "$core" ] || { echo "plain-tests: $core is missing; build it: ./mvnw -B -q -o -Djenkins.skip -pl shared-core -DskipTests package" >&2; exit 2; }

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
pkg=io/jenkins/plugins/taskbound
mkdir -p "$out/$pkg"
cp "$core" "$out/$pkg/taskbound-cli.jar"
cp "$plugin"/src/test/resources/$pkg/*.yml "$out/$pkg/"
main=(ApproverList BuildWorkspace HostLaunchEnvironment BlockSettings ControllerCore HandoffOutput VaultLoginEnvironment CoreJarCache DurableShellLaunch EnvelopeCommand EnvelopeExit EnvelopeRequirement EvidenceFacts FolderRules JenkinsClaims SessionHandle SessionOpening TokenMasker)
tests=(ApproverListTest BuildWorkspaceTest HostLaunchEnvironmentTest BlockSettingsTest ControllerCoreTest HandoffOutputTest VaultLoginEnvironmentTest CoreJarCacheTest ControllerCommandsTest DurableShellLaunchTest EnvelopeRequirementTest FolderRulesTest JenkinsClaimsTest EvidenceFactsTest SessionHandleTest SessionOpeningTest TokenMaskerTest DurableFixture EnvelopedShellStepTest)
sources=()
for c in "${main[@]}"; do sources+=("$plugin/src/main/java/$pkg/$c.java"); done
for c in "${tests[@]}"; do sources+=("$plugin/src/test/java/$pkg/$c.java"); done
javac -nowarn --release 17 -d "$out" -cp "$spotbugs:$console" "${sources[@]}"
java -jar "$console" execute -cp "$out:$spotbugs" --select-package io.jenkins.plugins.taskbound --details=tree --disable-banner
