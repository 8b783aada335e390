package dev.taskbound.core.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.taskbound.core.testing.AgentOwner;
import dev.taskbound.core.testing.LocalApi;
import dev.taskbound.core.testing.RunArtifacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shipped artefacts as a user runs them: the shaded jar through bin/taskbound. */
@Timeout(180)
class LauncherIT {
  private static final Path REPO = Path.of(System.getProperty("taskbound.repo.root")).toAbsolutePath().normalize();
  private static final Path JAR = Path.of(System.getProperty("taskbound.jar"));

  @TempDir Path work;
  /** The class-data cache: outside the workspace (a cache inside it is never used). */
  @TempDir Path cacheRoot;

  @Test
  void launcherRunsTheShadedJarPassesTheAgentStatusAndReusesItsClassDataArchive() throws Exception {
    Path policy = Files.writeString(
        work.resolve("p.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n  sandbox: {backends: [netns]}\n");
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(
        REPO.resolve("bin/taskbound").toString(), "run", "--task", "IT-1", "--policy", policy.toString(),
        "--out", work.resolve("out").toString(), "--", "sh", "-c", "exit 3");

    Result first = run(command, cache);
    Result second = run(command, cache);

    assertThat(first.status).as(first.output).isEqualTo(3);
    assertThat(second.status).as(second.output).isEqualTo(3);
    try (Stream<Path> archives = Files.list(cache.resolve("taskbound"))) {
      assertThat(archives.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsa"))).hasSize(1);
    }
    assertThat(second.output).contains("teardown ok").doesNotContain("[cds]");
  }

  /**
   * Issue 19, eighth stop: a first run that stops at a usage error or a failed open loads a fraction
   * of a run's classes; an archive recorded from it was kept and used by every later run, which then
   * started without the rest (~0.3 s slower each, until the jar changed). Only a run that went through
   * a whole session keeps the archive it recorded; the others keep nothing and leave nothing behind.
   */
  @Test
  void aFirstRunThatStopsBeforeItsSessionRanKeepsNoArchiveAndTheNextWholeRunDoes() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    Path badPolicy = Files.writeString(work.resolve("bad.yml"), "apiVersion: taskbound.dev/v1\nkind: Nonsense\n");
    String launcher = REPO.resolve("bin/taskbound").toString();
    String out = work.resolve("out").toString();

    Result usage = run(List.of(launcher, "--debug", "run", "--", "true"), cache);
    List<String> afterUsage = cacheFiles(cache);
    Result failedOpen = run(List.of(launcher, "--debug", "run", "--task", "IT-9", "--policy", badPolicy.toString(),
        "--out", out, "--", "true"), cache);
    List<String> afterFailedOpen = cacheFiles(cache);
    Result whole = run(List.of(launcher, "--debug", "run", "--task", "IT-9", "--out", out, "--", "sh", "-c", "exit 3"), cache);

    assertThat(usage.status).as(usage.output).isEqualTo(125);
    assertThat(failedOpen.status).as(failedOpen.output).isEqualTo(120);
    for (Result stopped : List.of(usage, failedOpen)) {
      assertThat(stopped.output).contains("taskbound: launcher: this run did not go through a whole session: its"
          + " class-data archive is not kept");
    }
    assertThat(afterUsage).as("nothing kept, nothing left behind").isEmpty();
    assertThat(afterFailedOpen).as("nothing kept, nothing left behind").isEmpty();
    assertThat(whole.status).as(whole.output).isEqualTo(3);
    assertThat(whole.output).contains("class-data archive written to").doesNotContain("did not go through");
    assertThat(cacheFiles(cache)).as("the archive and its record, nothing else").hasSize(2)
        .allMatch(n -> n.endsWith(".jsa") || n.endsWith(".jsa.b2"));
  }

  /**
   * Each build of the jar records its own archive (16-34 MB) and nothing removed the old ones: a run
   * that writes one keeps the newest eight, its own among them, with their records, and removes what
   * a recording run killed a day ago left behind. A fresh temporary file (a recording run still
   * going) and a name the launcher never writes stay.
   */
  @Test
  void aRunThatWritesAnArchiveKeepsTheNewestEightWithTheirRecords() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    Path dir = Files.createDirectories(cache.resolve("taskbound"));
    long now = System.currentTimeMillis();
    List<String> others = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) { // ten other builds' archives, an hour apart, the oldest first
      String name = "taskbound-1.1.1.1.1-2.2.2.2." + i + "-3.3.3.3.3.jsa";
      others.add(name);
      aged(Files.writeString(dir.resolve(name), "archive " + i), now - (10 - i) * 3_600_000L);
      otherBuildsRecord(dir.resolve(name));
    }
    Path staleTemp = aged(Files.writeString(dir.resolve("taskbound-1.2-3.4-5.6.jsa.999.tmp"), "x"), now - 2 * 86_400_000L);
    Path freshTemp = Files.writeString(dir.resolve("taskbound-1.2-3.4-5.6.jsa.998.tmp"), "x");
    Path foreign = aged(Files.writeString(dir.resolve("taskbound-notes.jsa"), "x"), now - 20 * 3_600_000L);
    Path notATemp = aged(Files.writeString(dir.resolve("taskbound-notes.tmpl"), "x"), now - 2 * 86_400_000L);
    // a name with a newline comes out of find in two lines; neither piece may name a file to remove
    Path split = aged(Files.writeString(dir.resolve("taskbound-1.1\n.jsa"), "x"), now - 30 * 3_600_000L);
    Path piece = aged(Files.writeString(dir.resolve("taskbound-1.1"), "x"), now - 30 * 3_600_000L);

    Result whole = run(List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-10",
        "--out", work.resolve("out").toString(), "--", "sh", "-c", "exit 3"), cache);

    assertThat(whole.status).as(whole.output).isEqualTo(3);
    assertThat(whole.output).contains("class-data archive written to").doesNotContain("could not prune");
    List<String> left = cacheFiles(cache);
    List<String> own = left.stream().filter(n -> n.endsWith(".jsa") && !others.contains(n) && !n.equals("taskbound-notes.jsa")
        && !n.equals(split.getFileName().toString())).toList();
    assertThat(own).as("the archive this run wrote").hasSize(1);
    List<String> expected = new java.util.ArrayList<>(List.of(own.get(0), own.get(0) + ".b2", freshTemp.getFileName().toString(),
        foreign.getFileName().toString(), notATemp.getFileName().toString(), split.getFileName().toString(),
        piece.getFileName().toString()));
    for (String kept : others.subList(3, 10)) { // the seven newest others
      expected.add(kept);
      expected.add(kept + ".b2");
    }
    assertThat(left).as("the newest eight archives with their records; a fresh temporary file; names not the launcher's")
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(staleTemp).doesNotExist();
  }

  private static Path aged(Path file, long millis) throws IOException {
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(millis));
    return file;
  }

  /**
   * A jar older than the launcher (TASKBOUND_JAR) never marks a run: its archive is kept as before,
   * or each of its runs would record again (seconds each). The old jar here is this one without
   * {@code ClassDataMark}; a usage error never reaches it.
   */
  @Test
  void aJarTooOldToMarkItsRunsKeepsItsArchiveAsBefore() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    Path old = cacheRoot.resolve("old.jar");
    try (java.util.jar.JarFile in = new java.util.jar.JarFile(JAR.toFile());
        java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(old))) {
      for (java.util.jar.JarEntry e : java.util.Collections.list(in.entries())) {
        if (!e.getName().equals("dev/taskbound/core/cli/ClassDataMark.class")) {
          out.putNextEntry(new java.util.jar.JarEntry(e.getName()));
          try (java.io.InputStream bytes = in.getInputStream(e)) {
            bytes.transferTo(out);
          }
          out.closeEntry();
        }
      }
    }
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));

    Result usage = run(List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--", "true"), cache, java, old);

    assertThat(usage.status).as(usage.output).isEqualTo(125);
    assertThat(usage.output).contains("cannot say whether this run went through a whole session: its class-data"
        + " archive is kept").doesNotContain("is not kept");
    assertThat(cacheFiles(cache)).as("the archive and its record, as before").hasSize(2)
        .allMatch(n -> n.endsWith(".jsa") || n.endsWith(".jsa.b2"));
  }

  /** The names in the launcher's cache directory (none when it is not there). */
  private static List<String> cacheFiles(Path cache) throws IOException {
    Path dir = cache.resolve("taskbound");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * Issue 11 item 5: the archive runs before taskbound's first line, outside the sandbox; one changed
   * after it was written is not used (the java the launcher starts never sees it), the run still
   * works, and the next archive replaces it with a fresh checksum. Issue 19: the archive that is
   * still the file recorded with its checksum is not read again (no {@code b2sum}); a changed one is.
   */
  @Test
  void aTamperedClassDataArchiveIsNotUsedAndTheRunStillWorks() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-5",
        "--out", work.resolve("out").toString(), "--", "sh", "-c", "exit 4");
    Result first = run(command, cache);
    Path archive;
    try (Stream<Path> archives = Files.list(cache.resolve("taskbound"))) {
      archive = archives.filter(p -> p.toString().endsWith(".jsa")).findFirst().orElseThrow();
    }
    Path recorded = Path.of(archive + ".b2");
    Path checksums = cacheRoot.resolve("b2sum-calls");
    Files.delete(checksums); // the first run checksummed the archive it wrote
    Result trusted = run(command, cache);
    assertThat(javaArguments()).as("an intact archive is used").contains("-XX:SharedArchiveFile=" + archive);
    assertThat(checksums).as("the recorded file, unchanged: not read again").doesNotExist();
    byte[] bytes = Files.readAllBytes(archive);
    bytes[bytes.length / 2] ^= 1;
    archive.toFile().setWritable(true);
    Files.write(archive, bytes);

    Result tampered = run(command, cache);

    assertThat(first.status).as(first.output).isEqualTo(4);
    assertThat(trusted.status).as(trusted.output).isEqualTo(4);
    assertThat(tampered.status).as(tampered.output).isEqualTo(4);
    assertThat(tampered.output).contains("taskbound: launcher: class-data archive " + archive + " does not match the"
        + " checksum recorded when it was written: not used");
    assertThat(javaArguments()).as("the tampered archive never reaches the JVM").doesNotContain("SharedArchiveFile");
    assertThat(b2sum(archive)).as("replaced, with its checksum").isEqualTo(Files.readAllLines(recorded).get(0));
  }

  /**
   * Issue 19, seventh stop: a start that uses its archive spawns one {@code stat} (the launcher's
   * identity, the cache's trust and the archive's own check in one call), picking its archive's
   * lines by place among every archive in the cache: another build's, and names with a space and a
   * newline, do not disturb it.
   */
  @Test
  void aStartWithItsArchiveRunsOneStatAmongOtherBuildsArchives() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-9",
        "--out", work.resolve("out").toString(), "--", "sh", "-c", "exit 6");
    Result first = run(command, cache);
    Path dir = cache.resolve("taskbound");
    Path archive = archiveIn(dir);
    for (String name : List.of("taskbound-1.2.3.4.5-6.7.8.9.10-11.12.13.14.15.jsa", "taskbound-a b.jsa", "taskbound-a\nb.jsa")) {
      Files.copy(archive, dir.resolve(name));
      otherBuildsRecord(dir.resolve(name));
    }
    forgetTheFirstRunsCalls();

    Result second = run(command, cache);

    assertThat(first.status).as(first.output).isEqualTo(6);
    assertThat(second.status).as(second.output).isEqualTo(6);
    assertThat(javaArguments()).contains("-XX:SharedArchiveFile=" + archive + " ");
    assertThat(Files.readAllLines(cacheRoot.resolve("stat-calls"))).as("one stat").hasSize(1);
    assertThat(cacheRoot.resolve("b2sum-calls")).as("the recorded file, unchanged: not read again").doesNotExist();
  }

  /**
   * The launcher runs on the host, often as root, and a job's PATH may hold a directory the agent
   * writes ({@code node_modules/.bin}): its own tools come from the system's directories only, while
   * java and the agent still get the caller's PATH. Planted tools, each of which would note that it
   * ran, are first on the PATH of a run that records its archive, one that uses it, and a
   * {@code session exec} on a host without the system's python3 (whose client would otherwise be
   * looked up on the PATH).
   */
  @Test
  void theLauncherRunsNoToolFromTheCallersPathAndGivesThatPathToTheAgent() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    Path planted = Files.createDirectories(work.resolve("node_modules/.bin"));
    Path ran = cacheRoot.resolve("planted-ran");
    for (String tool : List.of("stat", "b2sum", "mkdir", "rm", "chmod", "mv", "find", "sort", "tail", "grep", "python3")) {
      Path script = Files.writeString(planted.resolve(tool), "#!/bin/sh\necho " + tool + " >> " + ran + "\nexit 1\n");
      script.toFile().setExecutable(true);
    }
    String callersPath = planted + ":" + System.getenv("PATH");
    Map<String, String> env = Map.of("PATH", callersPath);
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-13",
        "--out", work.resolve("out").toString(), "--", "sh", "-c", "echo \"agent PATH=$PATH\"");

    Result recording = run(command, cache, env);
    Result using = run(command, cache, env);
    Result exec = run(List.of("/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
        "mount --bind /dev/null \"$(readlink -f /usr/bin/python3)\" && exec \"$@\"", "sh",
        REPO.resolve("bin/taskbound").toString(), "session", "exec", "--session", "nosuch", "--", "true"), cache, env);

    assertThat(recording.status).as(recording.output).isZero();
    assertThat(recording.output).contains("class-data archive written to").contains("agent PATH=" + callersPath + "\n");
    assertThat(using.status).as(using.output).isZero();
    assertThat(using.output).contains("agent PATH=" + callersPath + "\n");
    assertThat(javaArguments()).contains("-XX:SharedArchiveFile=");
    assertThat(exec.status).as(exec.output).isNotZero();
    assertThat(exec.output).as("the JVM's client answered").contains("nosuch");
    assertThat(ran).as("no planted tool ran").doesNotExist();
  }

  /**
   * Review finding: {@code java} itself came from the caller's PATH, so a {@code java} the agent left
   * in a {@code node_modules/.bin} on it ran on the host as root; an empty PATH entry ran
   * {@code ./java} from the workspace. A java the PATH gives must now lie, with its directory, where
   * only root or this user can write, outside the working directory; empty and relative entries are
   * skipped. Each planted java would note that it ran.
   */
  @Test
  void aJavaThePathGivesFromWhereTheAgentCanWriteNeverRuns() throws Exception {
    assumeTrue(AgentOwner.root(), "root, to give a directory to the agent's user");
    Path ran = cacheRoot.resolve("planted-java-ran");
    String planted = "#!/bin/sh\necho ran >> " + ran + "\nexit 0\n";
    Path inWorkspace = Files.createDirectories(work.resolve("node_modules/.bin"));
    Path agents = Files.createDirectories(cacheRoot.resolve("agents-bin"));
    for (Path dir : List.of(inWorkspace, agents, work)) {
      Files.writeString(dir.resolve("java"), planted).toFile().setExecutable(true, false);
    }
    AgentOwner.own(work);
    AgentOwner.own(agents);
    String system = System.getenv("PATH");

    Result workspaceBin = runWithThePathsJava(inWorkspace + ":" + system);
    Result agentsBin = runWithThePathsJava(agents + ":" + system);
    Result emptyEntry = runWithThePathsJava(":.:" + system);

    for (Result refused : List.of(workspaceBin, agentsBin)) {
      assertThat(refused.status).as(refused.output).isEqualTo(125);
      assertThat(refused.output).contains("taskbound: the java the PATH gives, ").contains(", is not used: ")
          .contains("accepted: a JDK whose bin directory only root or you can write");
    }
    assertThat(workspaceBin.output).contains(inWorkspace.resolve("java").toString());
    assertThat(agentsBin.output).contains(agents.resolve("java").toString());
    assertThat(emptyEntry.status).as(emptyEntry.output).isZero();
    assertThat(emptyEntry.output).startsWith("taskbound ");
    assertThat(ran).as("no planted java ran").doesNotExist();
  }

  /**
   * A follow-up review: where the system has no {@code stat} the launcher uses (NixOS keeps it
   * elsewhere), the java the PATH gives cannot be checked: the launcher says so, and names the way
   * out, rather than calling the system's own java untrusted.
   */
  @Test
  void withoutTheSystemsStatAJavaFromThePathIsRefusedSayingWhy() throws Exception {
    assumeTrue(AgentOwner.root(), "root, to hide the system's stat in a mount namespace");
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
        "mount --bind /dev/null /usr/bin/stat && exec \"$0\" --version", REPO.resolve("bin/taskbound").toString())
        .directory(work.toFile()).redirectErrorStream(true);
    pb.environment().remove("TASKBOUND_JAVA");
    pb.environment().put("TASKBOUND_JAR", JAR.toString());
    pb.environment().put("XDG_CACHE_HOME", cacheRoot.resolve("cache").toString());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isEqualTo(125);
    assertThat(output).contains("taskbound: cannot check the java the PATH gives, ")
        .contains("accepted: TASKBOUND_JAVA naming a java by its path");
  }

  /** {@code bin/taskbound --version} in the workspace with the java {@code path} gives (no TASKBOUND_JAVA). */
  private Result runWithThePathsJava(String path) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(REPO.resolve("bin/taskbound").toString(), "--version").directory(work.toFile())
        .redirectErrorStream(true);
    pb.environment().remove("TASKBOUND_JAVA");
    pb.environment().put("TASKBOUND_JAR", JAR.toString());
    pb.environment().put("XDG_CACHE_HOME", cacheRoot.resolve("cache").toString());
    pb.environment().put("PATH", path);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /**
   * Review finding: the run that records the class-data archive starts java as a background job, and
   * a non-interactive shell starts those with SIGINT ignored, which a JVM keeps: Ctrl-C (or any
   * SIGINT) on that first run reached no one, and the agent ran on. The launcher passes it on as
   * SIGTERM and exits 130, as a run that got SIGINT does. Bounded: the agent would sleep 10 minutes.
   */
  @Test
  void sigintOnARunThatRecordsItsArchiveTearsTheSessionDown() throws Exception {
    AgentOwner.own(work);
    Path log = cacheRoot.resolve("run.log");
    Process p = startRun(log, "--debug", "run", "--task", "IT-14", "--out", work.resolve("out").toString(), "--", "sleep", "600");
    boolean running = awaitAgentRunning(p);
    assertThat(running).as("the session recorded agent.running: " + Files.readString(log)).isTrue();
    Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0).isTrue();
    boolean ended = p.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly();
    }

    assertThat(ended).as("SIGINT ended the run: " + Files.readString(log)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(log)).isEqualTo(130);
    assertThat(Files.readString(log)).contains("teardown seal-evidence").contains("class-data archive");
    assertThat(RunArtifacts.bundleText(work.resolve("out"), "events.jsonl")).contains("\"agent.exited\"");
  }

  /**
   * A cache holding more archives than the one {@code stat} takes (the builds of many jars: past 64
   * files a second stat costs less than their lines) still uses this identity's archive, checked as
   * ever, with a stat of its own.
   */
  @Test
  void aCacheOfManyBuildsArchivesStillUsesItsOwnWithASecondStat() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "--version");
    Path archive = archiveOfAWholeRun(cache, "IT-12");
    Path dir = cache.resolve("taskbound");
    for (int i = 0; i < 40; i++) {
      otherBuildsRecord(Files.writeString(dir.resolve("taskbound-" + i + ".1.1.1.1-2.2.2.2.2-3.3.3.3.3.jsa"), "other build"));
    }
    forgetTheFirstRunsCalls();

    Result many = run(command, cache);

    assertThat(many.status).as(many.output).isZero();
    assertThat(javaArguments()).contains("-XX:SharedArchiveFile=" + archive + " ");
    assertThat(Files.readAllLines(cacheRoot.resolve("stat-calls"))).as("inspect's, then the archive's own").hasSize(2);
    assertThat(cacheRoot.resolve("b2sum-calls")).as("the recorded file, unchanged: not read again").doesNotExist();
  }

  /**
   * Transparent huge pages are asked for exactly where the kernel gives them on request
   * ({@code madvise}): where it has them off, the JVM would print a warning on every start, and where
   * they are always on, the flag adds nothing. Checked against this host's own setting.
   */
  @Test
  void hugePagesAreAskedForOnlyWhereTheKernelGivesThemOnRequest() throws Exception {
    Path setting = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    boolean onRequest = Files.isReadable(setting) && Files.readString(setting).contains("[madvise]");

    Result version = run(List.of(REPO.resolve("bin/taskbound").toString(), "--version"), cacheRoot.resolve("cache"));

    assertThat(version.status).as(version.output).isZero();
    assertThat(version.output).doesNotContain("warning").doesNotContain("HugePages");
    if (onRequest) {
      assertThat(javaArguments()).contains(" -XX:+UseTransparentHugePages ");
    } else {
      assertThat(javaArguments()).doesNotContain("TransparentHugePages");
    }
  }

  /**
   * The one {@code stat} follows links (the java on the PATH often is one): an archive or a record
   * that is a link is still refused, even to a file with the very bytes recorded, so its checksum
   * would match.
   */
  @Test
  void anArchiveOrRecordThatIsALinkIsNotUsedEvenToTheRecordedBytes() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "--version");
    Path archive = archiveOfAWholeRun(cache, "IT-10");
    Path record = Path.of(archive + ".b2");
    Path elsewhere = Files.createDirectories(cacheRoot.resolve("elsewhere"));
    Files.move(archive, elsewhere.resolve("archive"));
    Files.createSymbolicLink(archive, elsewhere.resolve("archive"));

    Result linkedArchive = run(command, cache);
    String linkedArchiveJava = javaArguments();
    Files.delete(archive);
    Files.move(elsewhere.resolve("archive"), archive);
    Files.move(record, elsewhere.resolve("record"));
    Files.createSymbolicLink(record, elsewhere.resolve("record"));
    Result linkedRecord = run(command, cache);

    assertThat(linkedArchive.status).as(linkedArchive.output).isZero();
    assertThat(linkedArchive.output).contains("class-data archive " + archive + " does not match the checksum");
    assertThat(linkedArchiveJava).doesNotContain("SharedArchiveFile");
    assertThat(linkedRecord.status).as(linkedRecord.output).isZero();
    assertThat(linkedRecord.output).contains("class-data archive " + archive + " does not match the checksum");
    assertThat(javaArguments()).doesNotContain("SharedArchiveFile");
  }

  /**
   * A file of the cache removed between the launcher's glob and its {@code stat} (a cache being
   * cleaned) makes that stat fail: the run still works, without any archive, never with an unchecked
   * one, and writes none (the identity that names it is unknown).
   */
  @Test
  void aCacheFileRemovedWhileTheLauncherReadsTheCacheCostsTheArchiveNotTheRun() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-11",
        "--out", work.resolve("out").toString(), "--", "sh", "-c", "exit 7");
    run(command, cache);
    Path dir = cache.resolve("taskbound");
    Path old = Files.writeString(dir.resolve("taskbound-1.2.3.4.5-6.7.8.9.10-11.12.13.14.15.jsa"), "old");
    Files.writeString(cacheRoot.resolve("remove-before-stat"), old.toString());

    Result removed = run(command, cache);

    assertThat(removed.status).as(removed.output).isEqualTo(7);
    assertThat(removed.output).contains("stat of java, the jar, this launcher or the class-data cache " + dir
        + " failed: no class-data archive");
    assertThat(javaArguments()).doesNotContain("SharedArchiveFile").doesNotContain("ArchiveClassesAtExit");
    assertThat(old).doesNotExist();
  }

  /** A record beside another build's archive {@code archive}: a checksum and a file id that match nothing. */
  private static void otherBuildsRecord(Path archive) throws IOException {
    Files.writeString(Path.of(archive + ".b2"), "0\n1.2.3.4.5.6.7\n");
  }

  /** The first run stat'ed and checksummed the archive it wrote: only the next run's calls are counted. */
  private void forgetTheFirstRunsCalls() throws IOException {
    Files.delete(cacheRoot.resolve("stat-calls"));
    Files.delete(cacheRoot.resolve("b2sum-calls"));
  }

  /** The archive a whole {@code run} of task {@code task} records in {@code cache}. */
  private Path archiveOfAWholeRun(Path cache, String task) throws IOException, InterruptedException {
    run(List.of(REPO.resolve("bin/taskbound").toString(), "run", "--task", task, "--out", work.resolve("out").toString(),
        "--", "true"), cache);
    return archiveIn(cache.resolve("taskbound"));
  }

  /** The one AppCDS archive in the cache directory. */
  private static Path archiveIn(Path dir) throws IOException {
    try (Stream<Path> archives = Files.list(dir)) {
      return archives.filter(p -> p.toString().endsWith(".jsa")).findFirst().orElseThrow();
    }
  }

  @Test
  void aCacheOthersCanWriteOrOneInsideTheWorkspaceIsNeverUsed() throws Exception {
    Path open = Files.createDirectories(cacheRoot.resolve("open/taskbound"));
    Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-6",
        "--out", work.resolve("out").toString(), "--", "true");

    Result writable = run(command, cacheRoot.resolve("open"));
    Result inWorkspace = run(command, work.resolve("cache"));

    assertThat(writable.status).as(writable.output).isZero();
    assertThat(writable.output).contains("class-data cache " + open + " is missing, a link, or writable by others: not used");
    assertThat(inWorkspace.status).as(inWorkspace.output).isZero();
    assertThat(inWorkspace.output).contains("lies in the working directory (the agent's workspace): not used");
    assertThat(javaArguments()).doesNotContain("SharedArchiveFile").doesNotContain("ArchiveClassesAtExit");
    try (Stream<Path> files = Files.list(open)) {
      assertThat(files).isEmpty();
    }
  }

  /**
   * A recorded checksum that is empty (or a record that is missing) never lets an archive through,
   * even where no checksum can be computed; a relative cache directory (which the XDG rules say to
   * ignore) is never used.
   */
  @Test
  void anArchiveWithAnEmptyRecordOrARelativeCacheIsNeverUsed() throws Exception {
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-7",
        "--out", work.resolve("out").toString(), "--", "true");
    run(command, cache);
    Path archive;
    try (Stream<Path> archives = Files.list(cache.resolve("taskbound"))) {
      archive = archives.filter(p -> p.toString().endsWith(".jsa")).findFirst().orElseThrow();
    }
    Files.writeString(Path.of(archive + ".b2"), "\n");

    Result emptyRecord = run(command, cache);
    String emptyRecordJava = javaArguments();
    Result relative = run(command, Path.of("relative-cache"));

    assertThat(emptyRecord.status).as(emptyRecord.output).isZero();
    assertThat(emptyRecord.output).contains("class-data archive " + archive + " does not match the checksum");
    assertThat(emptyRecordJava).doesNotContain("SharedArchiveFile");
    assertThat(relative.status).as(relative.output).isZero();
    assertThat(relative.output).contains("class-data cache relative-cache/taskbound is not an absolute path: not used");
    assertThat(javaArguments()).doesNotContain("SharedArchiveFile").doesNotContain("ArchiveClassesAtExit");
    assertThat(work.resolve("relative-cache")).doesNotExist();
  }

  /**
   * Issue 19, fourth pass: a java that has an AOT cache (JDK 24+) gets one instead of the AppCDS
   * archive: recorded on the first run (its record line kept off the agent's stdout), made after it,
   * used by the next run, and checked as the archive is (a tampered one never reaches the JVM and is
   * replaced). Runs where such a JDK is installed under /usr/lib/jvm (CI's Debian has only JDK 17).
   */
  @Test
  void aJavaWithAnAotCacheGetsOneOnItsFirstRunCheckedAsTheArchiveIs() throws Exception {
    Path aotJava = installedJavaWithAotCache();
    assumeTrue(aotJava != null, "no JDK 24+ under /usr/lib/jvm");
    Path cache = cacheRoot.resolve("cache");
    List<String> command = List.of(REPO.resolve("bin/taskbound").toString(), "--debug", "run", "--task", "IT-8",
        "--out", work.resolve("out").toString(), "--", "sh", "-c", "echo agent-output; exit 4");

    Result first = run(command, cache, aotJava);
    Path aot;
    try (Stream<Path> files = Files.list(cache.resolve("taskbound"))) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertThat(names).as("one AOT cache and its checksum, no AppCDS archive").hasSize(2)
          .allMatch(n -> n.endsWith(".aot") || n.endsWith(".aot.b2"));
      aot = cache.resolve("taskbound").resolve(names.get(0));
    }
    Result second = run(command, cache, aotJava);
    String secondJava = javaArguments();
    byte[] bytes = Files.readAllBytes(aot);
    bytes[bytes.length / 2] ^= 1;
    aot.toFile().setWritable(true);
    Files.write(aot, bytes);
    Files.delete(cacheRoot.resolve("java-args"));
    Result tampered = run(command, cache, aotJava);

    assertThat(first.status).as(first.output).isEqualTo(4);
    assertThat(first.output).contains("agent-output").doesNotContain("AOTConfiguration").doesNotContain("WARNING");
    assertThat(second.status).as(second.output).isEqualTo(4);
    assertThat(secondJava).contains("-XX:AOTCache=" + aot + " ").doesNotContain("SharedArchiveFile");
    assertThat(tampered.status).as(tampered.output).isEqualTo(4);
    assertThat(tampered.output).contains("class-data archive " + aot + " does not match the checksum");
    assertThat(Files.readAllLines(cacheRoot.resolve("java-args")))
        .as("the tampered cache never reaches the JVM").noneMatch(l -> l.contains("-XX:AOTCache=" + aot + " "));
    assertThat(b2sum(aot)).as("replaced, with its checksum").isEqualTo(Files.readAllLines(Path.of(aot + ".b2")).get(0));
  }

  /** A JDK under /usr/lib/jvm whose release file names version 24 or later, or null. */
  private static Path installedJavaWithAotCache() throws IOException {
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return null;
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      for (Path home : homes.sorted().toList()) {
        Path release = home.resolve("release");
        Path binary = home.resolve("bin/java");
        if (Files.isRegularFile(release) && Files.isExecutable(binary)) {
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("JAVA_VERSION=\"(\\d+)")
              .matcher(Files.readString(release));
          if (m.find() && Integer.parseInt(m.group(1)) >= 24) {
            return binary;
          }
        }
      }
    }
    return null;
  }

  /** The file's BLAKE2b-512 checksum by coreutils' b2sum (the JDK has no BLAKE2). */
  private static String b2sum(Path file) throws Exception {
    Process p = new ProcessBuilder("b2sum", file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out.substring(0, out.indexOf(' '));
  }

  /** The arguments of the last {@code java -jar} the launcher started (through {@link #javaRecorder}). */
  private String javaArguments() throws IOException {
    return Files.readAllLines(cacheRoot.resolve("java-args")).stream().filter(l -> l.contains("-jar"))
        .reduce((a, b) -> b).orElseThrow();
  }

  /**
   * {@code command} in a mount namespace of its own where the system's {@code stat} and
   * {@code b2sum}, the only ones the launcher runs, are recorders: the launcher's calls are counted
   * while the script under test is the shipped one.
   */
  private List<String> withRecordedSystemTools(List<String> command) throws IOException {
    List<String> wrapped = new ArrayList<>(List.of("/usr/bin/unshare", "--mount", "--propagation", "private", "--",
        "/bin/sh", "-c", "mount --bind \"$1\" /usr/bin/stat && mount --bind \"$2\" /usr/bin/b2sum && shift 2 && exec \"$@\"",
        "sh", statRecorder().toString(), checksumRecorder().toString()));
    wrapped.addAll(command);
    return wrapped;
  }

  /** A b2sum that notes each call, then runs a copy of coreutils' own (the original is covered by it). */
  private Path checksumRecorder() throws IOException {
    Path recorder = cacheRoot.resolve("bin/b2sum");
    if (!Files.exists(recorder)) {
      Path real = realCopy("b2sum");
      Files.writeString(recorder, "#!/bin/sh\necho called >> " + cacheRoot.resolve("b2sum-calls") + "\nexec " + real + " \"$@\"\n");
      recorder.toFile().setExecutable(true);
    }
    return recorder;
  }

  /**
   * A stat that notes each call, then runs a copy of coreutils' own; first it removes the file named
   * in {@code remove-before-stat}, if there is one (a file that goes between the launcher's glob and
   * its stat).
   */
  private Path statRecorder() throws IOException {
    Path recorder = cacheRoot.resolve("bin/stat");
    if (!Files.exists(recorder)) {
      Path real = realCopy("stat");
      Path remove = cacheRoot.resolve("remove-before-stat");
      Files.writeString(recorder, "#!/bin/sh\necho called >> " + cacheRoot.resolve("stat-calls") + "\nif [ -f " + remove
          + " ]; then rm -f \"$(cat " + remove + ")\" " + remove + "; fi\nexec " + real + " \"$@\"\n");
      recorder.toFile().setExecutable(true);
    }
    return recorder;
  }

  private Path realCopy(String program) throws IOException {
    Path copy = cacheRoot.resolve("bin/real-" + program);
    Files.createDirectories(copy.getParent());
    Files.copy(Path.of("/usr/bin", program), copy, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    return copy;
  }

  /** A java that records its arguments, then runs the real one: what the launcher really passed. */
  private Path javaRecorder(String realJava) throws IOException {
    Path recorder = cacheRoot.resolve("java");
    if (!Files.exists(recorder)) {
      Files.writeString(recorder, "#!/bin/sh\necho \"$*\" >> " + cacheRoot.resolve("java-args") + "\nexec "
          + realJava + " \"$@\"\n");
      recorder.toFile().setExecutable(true);
    }
    return recorder;
  }

  @Test
  void shadedJarVerifiesTheBundleItWrote() throws Exception {
    Path cache = work.resolve("cache");
    Result run = run(List.of(
        "java", "-jar", JAR.toString(), "run", "--task", "IT-2", "--out", work.resolve("out").toString(), "--", "true"), cache);
    Path bundle;
    try (Stream<Path> out = Files.list(work.resolve("out"))) {
      bundle = out.filter(p -> p.toString().endsWith(".zip")).findFirst().orElseThrow();
    }

    String kid = hostRecordedKid(run.output);
    Result verify = run(List.of("java", "-jar", JAR.toString(), "verify", "--expect-kid", kid, bundle.toString()), cache);
    Result selfSigned = run(List.of("java", "-jar", JAR.toString(), "verify", bundle.toString()), cache);

    assertThat(run.status).as(run.output).isZero();
    assertThat(verify.status).as(verify.output).isZero();
    assertThat(verify.output).startsWith("ok: ").contains("signer verified by the host record (--expect-kid " + kid + ")");
    assertThat(selfSigned.status).as(selfSigned.output).isEqualTo(3); // issue 14: never verified without an anchor
    assertThat(selfSigned.output).contains("signer NOT verified");

    // the summary a reviewer reads is sealed too: reworded after the run, verify names it
    Path reworded = work.resolve("reworded.zip");
    try (java.util.zip.ZipFile in = new java.util.zip.ZipFile(bundle.toFile());
        java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(reworded))) {
      for (java.util.zip.ZipEntry e : java.util.Collections.list(in.entries())) {
        byte[] bytes = in.getInputStream(e).readAllBytes();
        out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
        out.write(e.getName().equals("summary.md") ? "# Task IT-2: nothing denied\n".getBytes(StandardCharsets.UTF_8) : bytes);
      }
    }
    Result edited = run(List.of("java", "-jar", JAR.toString(), "verify", "--expect-kid", kid, reworded.toString()), cache);
    assertThat(edited.status).as(edited.output).isEqualTo(1);
    assertThat(edited.output).contains("invalid: seal: member summary.md does not match its digest in the seal (edited after sealing?)");
  }

  @Test
  void launcherHandsTheSandboxsPortToTheGatewayAndRecordsIt() throws Exception {
    HttpServer api = LocalApi.serving("launcher api\n");
    try {
      int port = api.getAddress().getPort();
      Path policy = Files.writeString(work.resolve("p.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 5m\n"
          + "  sandbox: {backends: [netns]}\n  egress:\n    allow: [\"api.test:" + port + "\"]\n    hosts: {api.test: 127.0.0.1}\n");
      Result run = run(List.of(
          REPO.resolve("bin/taskbound").toString(), "run", "--task", "IT-3", "--policy", policy.toString(),
          "--out", work.resolve("out").toString(), "--", "curl", "-sS", "--max-time", "30", "http://api.test:" + port + "/"),
          work.resolve("cache"));

      assertThat(run.status).as(run.output).isZero();
      assertThat(run.output).contains("launcher api");
      // The jar's manifest opens the JDK's channels, so the gateway took the sandbox's listening socket.
      String events = RunArtifacts.bundleText(work.resolve("out"), "events.jsonl");
      assertThat(events).contains("\"gateway.sandbox_port_taken\"").doesNotContain("gateway.sandbox_port_forwarded");
      assertThat(events.indexOf("gateway.sandbox_port_taken")).isLessThan(events.indexOf("\"egress.allowed\""));
    } finally {
      api.stop(0);
    }
  }

  /**
   * Issue 11 (review LOW-3) as a user runs it: an agent that stops its init with SIGSTOP and exits
   * still ends the run with its own status, and the evidence's {@code agent.exited} says the host's
   * watch ended the sandbox and why. Bounded: the run's output goes to a file, the wait is 90 s
   * (without the watch the run would last until the TTL, 2 minutes).
   */
  @Test
  void anAgentThatStopsItsInitEndsTheRunAndTheEvidenceSaysTheHostWatchEndedIt() throws Exception {
    String marker = "97" + java.util.concurrent.ThreadLocalRandom.current().nextInt(100_000, 999_999) + ".5";
    Path policy = Files.writeString(
        work.resolve("p.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 2m\n  sandbox: {backends: [netns]}\n");
    // The agent stops its init only once the start is complete (the session has recorded
    // agent.running, after the init's reply): stopped before its reply, the init would hold the start
    // until its timeout instead, and this is not what the test is about. The test says when, with a
    // file in the workspace. SIGSTOP takes effect when init next runs: the agent waits (bounded) until
    // init shows it stopped.
    String agent = "sleep " + marker + " >/dev/null 2>&1 &"
        + " for i in $(seq 600); do [ -e started ] && break; sleep 0.05; done; kill -STOP $PPID;"
        + " for i in $(seq 200); do grep -q '^State:.T' /proc/$PPID/status && break; sleep 0.05; done;"
        + " grep '^State' /proc/$PPID/status; exit 5";
    AgentOwner.own(work);
    Path log = cacheRoot.resolve("run.log");
    Process p = startRun(log, "run", "--task", "IT-6", "--policy", policy.toString(), "--out", work.resolve("out").toString(),
        "--", "sh", "-c", agent);
    boolean running = awaitAgentRunning(p);
    Files.writeString(work.resolve("started"), "");
    boolean ended = p.waitFor(90, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly();
    }

    assertThat(running).as("the session recorded agent.running: " + Files.readString(log)).isTrue();
    assertThat(ended).as("the run ended before the TTL: " + Files.readString(log)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(log)).isEqualTo(5);
    assertThat(Files.readString(log)).contains("State:\tT (stopped)");
    String exited = RunArtifacts.bundleText(work.resolve("out"), "events.jsonl").lines()
        .filter(l -> l.contains("\"agent.exited\"")).findFirst().orElseThrow();
    assertThat(exited).containsPattern("\"ended_by\" ?: ?\"host watch\"").contains("its init was stopped");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (sleeping(marker) && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(10); // polling: no event exists for another process's exit here
    }
    assertThat(sleeping(marker)).as("what the agent left running went with the sandbox").isFalse();
  }

  /** {@code bin/taskbound ARGS} in the workspace with the test's cache and home, its output to {@code log}; not waited for. */
  private Process startRun(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(REPO.resolve("bin/taskbound").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("XDG_CACHE_HOME", cacheRoot.resolve("cache").toString());
    pb.environment().put("TASKBOUND_HOME", work.resolve("home").toString());
    pb.environment().put("TASKBOUND_JAR", JAR.toString());
    return pb.start();
  }

  /** Whether the run {@link #startRun} started recorded {@code agent.running} within 30 s. */
  private boolean awaitAgentRunning(Process run) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (run.isAlive() && System.nanoTime() < deadline) {
      if (agentRunningRecorded(work.resolve("home/sessions"))) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(20); // polling: the session's evidence file is another process's
    }
    return agentRunningRecorded(work.resolve("home/sessions"));
  }

  /** Whether a session under {@code sessions} has recorded {@code agent.running} in its evidence log. */
  private static boolean agentRunningRecorded(Path sessions) throws IOException {
    if (!Files.isDirectory(sessions)) {
      return false;
    }
    try (Stream<Path> dirs = Files.list(sessions)) {
      for (Path events : dirs.map(d -> d.resolve("events.jsonl")).filter(Files::isRegularFile).toList()) {
        try {
          if (Files.readString(events).contains("\"agent.running\"")) {
            return true;
          }
        } catch (java.nio.file.NoSuchFileException e) {
          // the session ended meanwhile
        }
      }
    }
    return false;
  }

  private static boolean sleeping(String marker) {
    return ProcessHandle.allProcesses()
        .anyMatch(ph -> ph.info().arguments().map(a -> a.length == 1 && a[0].equals(marker)).orElse(false));
  }

  private record Result(int status, String output) {}

  private Result run(List<String> command, Path cache) throws IOException, InterruptedException {
    return run(command, cache, Path.of(ProcessHandle.current().info().command().orElse("java")));
  }

  private Result run(List<String> command, Path cache, Path realJava) throws IOException, InterruptedException {
    return run(command, cache, realJava, JAR);
  }

  private Result run(List<String> command, Path cache, Map<String, String> env) throws IOException, InterruptedException {
    return run(command, cache, Path.of(ProcessHandle.current().info().command().orElse("java")), JAR, env);
  }

  private Result run(List<String> command, Path cache, Path realJava, Path jar) throws IOException, InterruptedException {
    return run(command, cache, realJava, jar, Map.of());
  }

  private Result run(List<String> command, Path cache, Path realJava, Path jar, Map<String, String> env)
      throws IOException, InterruptedException {
    AgentOwner.own(work); // the agent runs as the workspace's owner, never root
    ProcessBuilder pb = new ProcessBuilder(withRecordedSystemTools(command)).directory(work.toFile())
        .redirectErrorStream(true);
    pb.environment().put("XDG_CACHE_HOME", cache.toString());
    pb.environment().put("TASKBOUND_HOME", work.resolve("home").toString());
    pb.environment().put("TASKBOUND_JAR", jar.toString());
    pb.environment().put("TASKBOUND_JAVA", javaRecorder(realJava.toString()).toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** The evidence key's kid the run printed on stderr at open, before the agent started (issue 14). */
  private static String hostRecordedKid(String output) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("evidence key: kid ([A-Za-z0-9_-]{43})").matcher(output);
    assertThat(m.find()).as(output).isTrue();
    return m.group(1);
  }
}
