package io.jenkins.plugins.taskbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a launched command is put in its envelope. The wrapped commands run for real with
 * {@code sh}; a small shell script stands in for {@code taskbound run}, ending as the core does.
 */
class DurableShellLaunchTest {
  /** Stands in for {@code taskbound run ... --}: runs the command, prints a line, ends with the command's status. */
  private static final List<String> PASSING_ENVELOPE =
      List.of("sh", "-c", "\"$@\"; s=$?; echo 'taskbound: session closed' >&2; exit $s", "stub-core");

  @TempDir Path ws;

  @Test
  void recognisesDurableTasksShellWrapperAndFindsItsControlDirectory() {
    DurableFixture durable = durable("echo hi");

    DurableShellLaunch launch = DurableShellLaunch.recognise(durable.command());

    assertNotNull(launch);
    assertEquals(durable.controlDir().toString(), launch.controlDir());
  }

  @Test
  void prefixesAnyOtherCommandAsItIsWithDollarSignsEscapedForTheLauncher() {
    List<String> command = DurableShellLaunch.command(List.of("java", "-jar", "/n/$x/tb.jar", "run", "--"), List.of("git", "fetch"), null);

    assertEquals(List.of("java", "-jar", "/n/$$x/tb.jar", "run", "--", "git", "fetch"), command);
    assertNull(DurableShellLaunch.recognise(List.of("nohup", "sh", "-c", "(echo hi) >&- 2>&- &")));
  }

  /** The sandbox shows none of {@code <workspace>@tmp}: the freestyle step's script is named for it to read. */
  @Test
  void namesAFreestyleStepsScriptReadOnlyForASessionExecAndLeavesARunAsItIs() {
    List<String> shell = List.of("sh", "-xe", "/home/jenkins/agent/workspace/job@tmp/jenkins42.sh");
    List<String> exec = List.of("/n/$x/bin/taskbound", "session", "exec", "--session", "/s/1", "--");

    assertEquals(List.of("/n/$$x/bin/taskbound", "session", "exec", "--session", "/s/1",
            "--ro", "/home/jenkins/agent/workspace/job@tmp/jenkins42.sh", "--", "sh", "-xe",
            "/home/jenkins/agent/workspace/job@tmp/jenkins42.sh"),
        DurableShellLaunch.command(exec, shell, null));
    assertEquals(List.of("tb", "run", "--", "sh", "-xe", "/home/jenkins/agent/workspace/job@tmp/jenkins42.sh"),
        DurableShellLaunch.command(List.of("tb", "run", "--"), shell, null));
    assertEquals(List.of("tb", "session", "exec", "--session", "/s/1", "--", "sh", "-c", "echo jenkins42.sh"),
        DurableShellLaunch.command(List.of("tb", "session", "exec", "--session", "/s/1", "--"),
            List.of("sh", "-c", "echo jenkins42.sh"), null));
  }

  @Test
  void runsTheWrapperInTheForegroundWithTheScriptsOutputToTheEnvelopeAndItsOwnResultFile() {
    DurableFixture durable = durable("echo hi");

    String inner = DurableShellLaunch.recognise(durable.command()).innerWrapper();

    String dir = durable.controlDir().toString();
    String inside = dir + "/taskbound";
    assertTrue(inner.startsWith("cp '" + dir + "/script.sh' '" + inside + "/script.sh.copy';"), inner);
    assertTrue(inner.contains("'sh' -xe '" + inside + "/script.sh.copy' 2>&1;"), inner);
    assertTrue(inner.contains("touch '" + inside + "/heartbeat'"), inner);
    assertTrue(inner.contains("mv '" + inside + "/taskbound-result.txt.tmp' '" + inside + "/taskbound-result.txt'"), inner);
    // nothing inside writes the control directory itself: the host reads and writes it by name
    assertFalse(inner.contains("jenkins-log.txt"), inner);
    assertFalse(inner.contains("jenkins-result.txt"), inner);
    assertFalse(inner.replace("cp '" + dir + "/script.sh' ", "").replace(inside + "/", "").contains(dir + "/"), inner);
    assertFalse(inner.endsWith("&"), inner);
  }

  @Test
  void keepsReturnStdoutsOutputFileAndSendsOnlyStderrToTheEnvelope() {
    DurableFixture durable = durable("echo hi");
    String dir = durable.controlDir().toString();
    List<String> capturing = durable.command().stream()
        .map(arg -> arg.replace(" > '" + dir + "/jenkins-log.txt' 2>&1", " > '" + dir + "/output.txt' 2> '" + dir + "/jenkins-log.txt'"))
        .toList();

    String inner = DurableShellLaunch.recognise(capturing).innerWrapper();

    assertTrue(inner.contains("'sh' -xe '" + dir + "/taskbound/script.sh.copy' > '" + dir + "/taskbound/output.txt';"), inner);
    assertFalse(inner.contains("2> '" + dir + "/jenkins-log.txt'"), inner);
  }

  @Test
  void returnStdoutsOutputReachesTheControlDirectoryFromTheCommandsOwnDirectory() throws Exception {
    DurableFixture durable = durable("echo captured-value; echo to-the-log >&2").capturingOutput();

    String result = durable.launch(PASSING_ENVELOPE, null);

    assertEquals("0", result);
    assertEquals("captured-value\n", Files.readString(durable.controlDir().resolve("output.txt")));
    assertTrue(durable.log().lines().anyMatch("to-the-log"::equals), durable.log());
    assertFalse(durable.log().lines().anyMatch("captured-value"::equals), durable.log());
  }

  /**
   * What the command inside leaves in its directory is read once it has ended, by the reporter on
   * the host, as the agent's host user: a link there is never followed, a status that is no number
   * is no status. (The sandbox shows the command nothing else of the control directory:
   * EnvelopedShellStepTest.aStepsAgentCannotPlantLinksWhereTheHostWritesAndReads.)
   */
  @Test
  void linksAndTextTheCommandLeavesInItsDirectoryAreNeitherFollowedNorTakenAsItsStatus() throws Exception {
    Path victim = Files.writeString(ws.resolve("victim.txt"), "untouched\n");
    Path secret = Files.writeString(ws.resolve("secret.txt"), "host-secret\n");
    String inside = "$(dirname \"$0\")"; // the script runs as <control dir>/taskbound/script.sh.copy
    DurableFixture durable = durable(String.join("; ",
        "d=" + inside,
        "ln -s '" + victim + "' \"$d/taskbound-result.txt\"",
        "ln -sf '" + secret + "' \"$d/output.txt\"", // in place of the file its stdout goes to
        "kill -9 $PPID")).capturingOutput(); // the wrapper never writes the real status over the link

    String result = durable.launch(PASSING_ENVELOPE, null);

    assertEquals("137", result, durable.log()); // the envelope's status: the wrapper was killed
    assertEquals("untouched\n", Files.readString(victim));
    assertEquals("", Files.readString(durable.controlDir().resolve("output.txt")));
    assertFalse(Files.exists(durable.controlDir().resolve("taskbound")), "the command's directory is removed");
    assertTrue(durable.log().contains("taskbound: the command left no exit status; the envelope ended with status 137"),
        durable.log());
  }

  @Test
  void aStatusThatIsNoNumberIsNoStatus() throws Exception {
    DurableFixture durable = durable("printf '0; reboot' > \"$(dirname \"$0\")/taskbound-result.txt\"; kill -9 $PPID");

    String result = durable.launch(PASSING_ENVELOPE, null);

    assertEquals("137", result);
  }

  @Test
  void passesTheScriptsOutputAndStatusThroughAndAddsTheEnvelopesLines() throws Exception {
    DurableFixture durable = durable("echo from-the-script; exit 3");

    String result = durable.launch(PASSING_ENVELOPE, null);

    assertEquals("3", result);
    String log = durable.log();
    assertTrue(log.contains("from-the-script\n"), log);
    assertTrue(log.contains("taskbound: session closed\n"), log);
    assertFalse(Files.exists(durable.controlDir().resolve(DurableShellLaunch.SANDBOX_DIR)));
  }

  @Test
  void aScriptsOwnStatusInTheEnvelopesRangeIsTheStepsWithoutAnEnvelopeMessage() throws Exception {
    // The wrapper inside ends with the script's status, which the envelope passes on: 121 here is the script's.
    DurableFixture durable = durable("echo mine; exit 121");

    String result = durable.launch(PASSING_ENVELOPE, null);

    assertEquals("121", result);
    assertFalse(durable.log().contains(EnvelopeExit.message(121)), durable.log());
  }

  @Test
  void letsTheEnvelopeMaskTheScriptsOutputBeforeItReachesTheLog() throws Exception {
    DurableFixture durable = durable("echo issued=s3cr3t-value");
    // Stands in for the core's masker, which knows the values the session issued.
    List<String> masking = List.of("sh", "-c", "\"$@\" | sed 's/s3cr3t-value/****/'", "stub-core");

    String result = durable.launch(masking, null);

    assertEquals("0", result);
    assertTrue(durable.log().contains("issued=****\n"), durable.log());
    assertFalse(durable.log().contains("s3cr3t-value"), durable.log());
  }

  @Test
  void failsTheStepWithTheCoresMessageAndCodeWhenTheEnvelopeRefusesToOpen() throws Exception {
    DurableFixture durable = durable("echo block-ran");
    List<String> refusing = List.of("sh", "-c", "echo 'error: --ttl 9h is longer than the policy allows (2h)' >&2; exit 120", "stub-core");

    String result = durable.launch(refusing, null);

    assertEquals("120", result);
    String log = durable.log();
    assertTrue(log.contains("error: --ttl 9h is longer than the policy allows (2h)\n"), log);
    assertTrue(log.contains(EnvelopeExit.message(120) + "\n"), log);
    assertFalse(log.contains("block-ran"), log);
  }

  @Test
  void failsTheStepWith124WhenTheTtlExpires() throws Exception {
    DurableFixture durable = durable("echo started");
    List<String> expiring = List.of("sh", "-c", "\"$@\"; echo 'taskbound: ttl expired' >&2; exit 124", "stub-core");

    String result = durable.launch(expiring, null);

    assertEquals("124", result);
    assertTrue(durable.log().contains(EnvelopeExit.message(124) + "\n"), durable.log());
  }

  @Test
  void aScriptThatItselfExits123EndsWith123AndIsNeverCalledAFailedTeardown() throws Exception {
    DurableFixture durable = durable("echo ran; exit 123");

    String result = durable.launch(PASSING_ENVELOPE, null);

    assertEquals("123", result);
    String log = durable.log();
    assertTrue(log.contains("ran\n"), log);
    assertFalse(log.contains("teardown"), log);
    assertFalse(log.contains("envelope exit"), log);
  }

  @Test
  void aSessionExecNeverClaimsATeardownFailureOnlySessionEndDoes() throws Exception {
    DurableFixture durable = durable("true");
    List<String> exec123 = List.of("sh", "-c", "\"$@\"; exit 123", "stub-core");

    String result = durable.launch(exec123, null);

    assertEquals("123", result);
    assertFalse(durable.log().contains("teardown"), durable.log());
    assertTrue(durable.log().contains("taskbound: the command itself ended with status 0\n"), durable.log());
    assertFalse(EnvelopeExit.messages().containsKey(123));
    assertTrue(EnvelopeExit.endMessage(123).contains("the session's teardown failed"));
    assertTrue(EnvelopeExit.endMessage(124).contains("TTL expired"));
    assertNull(EnvelopeExit.endMessage(0));
  }

  @Test
  void refusesShStepsUnderTheContainerSandboxAtOnceSayingWhy() throws Exception {
    DurableFixture durable = durable("echo block-ran");

    String result = durable.launch(PASSING_ENVELOPE, "container");

    assertEquals(String.valueOf(EnvelopeExit.SANDBOX), result);
    String log = durable.log();
    assertTrue(log.contains("taskbound: the container sandbox cannot run this step yet"), log);
    assertFalse(log.contains("block-ran"), log);
  }

  private DurableFixture durable(String script) {
    return DurableFixture.of(ws, script);
  }
}
