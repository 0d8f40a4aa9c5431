package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * packaging/libexec/trust-changed, which paird-trust-changed.service runs: the administrator's
 * programs run in order, each isolated from the others' failures and time-outs, and again when the
 * trusted list changed while they ran: its outputs were replaced, or paird raised its flag.
 */
final class TrustChangedScriptTest {
  private static final Path SCRIPT =
      Path.of(System.getProperty("user.dir")).resolve("../packaging/libexec/trust-changed");
  private static final long PATIENCE_SECONDS = 60;

  @TempDir Path dir;
  private Path hooks;
  private Path state;
  private Path log;

  @BeforeEach
  void setUp() throws IOException {
    hooks = Files.createDirectory(dir.resolve("trust-changed.d"));
    state = Files.createDirectory(dir.resolve("state"));
    log = dir.resolve("log");
    Files.writeString(state.resolve("trusted.pem"), "");
    Files.writeString(state.resolve("trusted.p12"), "v1");
  }

  @Test
  void run_executablesWithRunPartsNames_runInNameOrderWithTheOutputsPaths() throws Exception {
    hook("20-second", "echo \"second $PAIRD_TRUSTED_CAPATH\" >> " + log);
    hook("10-first", "echo \"first $PAIRD_TRUSTED_PEM $PAIRD_TRUSTED_P12\" >> " + log);
    hook("30.bak", "echo backup >> " + log);
    Files.writeString(hooks.resolve("40-not-executable"), "#!/bin/sh\necho no >> " + log + "\n");

    assertThat(run()).isZero();

    assertThat(Files.readAllLines(log))
        .containsExactly(
            "first " + state.resolve("trusted.pem") + " " + state.resolve("trusted.p12"),
            "second " + state.resolve("trusted-certs"));
  }

  @Test
  void run_oneProgramFails_theOthersStillRunAndTheRunFails() throws Exception {
    hook("10-broken", "exit 3");
    hook("20-fine", "echo fine >> " + log);

    assertThat(run()).isEqualTo(1);

    assertThat(Files.readAllLines(log)).containsExactly("fine");
  }

  @Test
  void run_programTooSlow_isStoppedAndTheOthersStillRun() throws Exception {
    hook("10-hangs", "exec sleep 600");
    hook("20-fine", "echo fine >> " + log);

    assertThat(run("PAIRD_HOOK_TIMEOUT=1")).isEqualTo(1);

    assertThat(Files.readAllLines(log)).containsExactly("fine");
  }

  @Test
  void run_listChangesWhileProgramsRun_runsThemAgain() throws Exception {
    // The first run replaces trusted.p12 as paird does (a new file renamed over it).
    hook(
        "10-changes-once",
        "echo run >> "
            + log
            + "\n"
            + "if [ ! -e "
            + dir.resolve("changed")
            + " ]; then\n"
            + "  touch "
            + dir.resolve("changed")
            + "\n"
            + "  echo v2 > "
            + state.resolve(".new")
            + " && mv "
            + state.resolve(".new")
            + " "
            + state.resolve("trusted.p12")
            + "\n"
            + "fi");

    assertThat(run()).isZero();

    assertThat(Files.readAllLines(log)).containsExactly("run", "run");
  }

  @Test
  void run_takesTheFlagDown_andRunsAgainWhenItIsRaisedDuringARun() throws Exception {
    Path flag = Files.createFile(dir.resolve("changed"));
    // The first run raises the flag again, as paird does when the list changes during a run,
    // without touching the outputs.
    hook(
        "10-raises-once",
        "echo \"run $( [ -e "
            + flag
            + " ] && echo up || echo down )\" >> "
            + log
            + "\n"
            + "if [ ! -e "
            + dir.resolve("raised")
            + " ]; then touch "
            + dir.resolve("raised")
            + " "
            + flag
            + "; fi");

    assertThat(run("PAIRD_TRUST_CHANGED_FLAG=" + flag)).isZero();

    assertThat(Files.readAllLines(log)).containsExactly("run down", "run down");
    assertThat(flag).doesNotExist();
  }

  /**
   * A paird that keeps changing its list, or a compromised one that keeps raising the flag, has the
   * programs run at most once a second (the default PAIRD_HOOK_INTERVAL), not back to back: each
   * pass's programs start at least the interval after the last's, also across runs, as when systemd
   * starts the runner again at once; and no run waits after its last pass, so that a start systemd
   * asks for meanwhile is not swallowed by it. Read on the clock the runner uses, from the
   * programs' side, which starts a little after the pass.
   */
  @Test
  void run_flagRaisedAtEveryPass_passesComeNoFasterThanTheInterval_acrossRuns() throws Exception {
    Path flag = Files.createFile(dir.resolve("changed"));
    Path times = dir.resolve("times");
    // Raises the flag again in each of its first three passes, as paird raises it for a change.
    hook(
        "10-raises-thrice",
        "cut -d' ' -f1 /proc/uptime >> "
            + times
            + "\n"
            + "[ $(wc -l < "
            + times
            + ") -ge 4 ] || touch "
            + flag);

    assertThat(run("PAIRD_TRUST_CHANGED_FLAG=" + flag, "PAIRD_HOOK_INTERVAL=")).isZero();
    double ended = uptime();
    assertThat(run("PAIRD_TRUST_CHANGED_FLAG=" + flag, "PAIRD_HOOK_INTERVAL=")).isZero();

    List<Double> starts = Files.readAllLines(times).stream().map(Double::valueOf).toList();
    assertThat(starts).as("four passes, then one of the second run").hasSize(5);
    for (int i = 1; i < starts.size(); i++) {
      assertThat(starts.get(i) - starts.get(i - 1)).as("seconds between passes").isGreaterThan(0.9);
    }
    assertThat(ended - starts.get(3)).as("seconds from the last pass to the end").isLessThan(0.9);
    assertThat(flag).doesNotExist();
  }

  @Test
  void run_noProgramToRun_endsWithoutAPause() throws Exception {
    double began = uptime();

    assertThat(run("PAIRD_HOOK_INTERVAL=30")).isZero();

    assertThat(uptime() - began).as("seconds the run took").isLessThan(30);
  }

  private static double uptime() throws IOException {
    String line = Files.readString(Path.of("/proc/uptime"));
    return Double.parseDouble(line.substring(0, line.indexOf(' ')));
  }

  @Test
  void run_aLinkInTheFlagsPlace_isRemovedAndItsTargetKept() throws Exception {
    Path target = Files.writeString(dir.resolve("target"), "kept");
    Path flag = Files.createSymbolicLink(dir.resolve("changed"), target);
    hook("10-fine", "echo fine >> " + log);

    assertThat(run("PAIRD_TRUST_CHANGED_FLAG=" + flag)).isZero();

    assertThat(Files.readAllLines(log)).containsExactly("fine");
    assertThat(Files.exists(flag, LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(target).hasContent("kept");
  }

  @Test
  void run_aDirectoryInTheFlagsPlace_isMovedAside_andTheProgramsRunOnce() throws Exception {
    // What rm cannot remove, and only the user paird can make: left in place, the runner passed
    // again for ever, running every program each time.
    Path flag = Files.createDirectory(dir.resolve("changed"));
    Files.writeString(flag.resolve("inside"), "kept");
    hook("10-fine", "echo fine >> " + log);

    assertThat(run("PAIRD_TRUST_CHANGED_FLAG=" + flag)).isZero();

    assertThat(Files.readAllLines(log)).containsExactly("fine");
    assertThat(Files.exists(flag, LinkOption.NOFOLLOW_LINKS)).isFalse();
    try (var entries = Files.list(dir)) {
      assertThat(entries.filter(p -> p.getFileName().toString().startsWith("changed.not-a-flag.")))
          .singleElement()
          .satisfies(aside -> assertThat(aside.resolve("inside")).hasContent("kept"));
    }
  }

  @Test
  void run_aFlagThatCannotBeTakenDown_runsTheProgramsOnceAndExits2() throws Exception {
    // A file of /proc, which not even root may remove or rename. Left up, the flag would have
    // systemd start the runner again as soon as it ends; 2 has Restart=on-failure wait a second.
    hook("10-fine", "echo fine >> " + log);

    assertThat(run("PAIRD_TRUST_CHANGED_FLAG=/proc/version")).isEqualTo(2);

    assertThat(Files.readAllLines(log)).containsExactly("fine");
    assertThat(Files.readString(dir.resolve("output")))
        .contains("cannot take down the flag /proc/version");
  }

  /**
   * The programs read the state directory's files as root, taking its owner for the user paird:
   * whoever else may write where it lies could put root's files in its place. Nothing runs.
   */
  @Test
  void run_stateDirectoryWhereOthersMayWrite_runsNothingAndSaysWhere() throws Exception {
    hook("10-copies", "echo copied >> " + log);
    Path shared = directory(dir.resolve("shared"), "rwxrwxrwx");
    state = Files.createDirectory(shared.resolve("state"));

    assertThat(run()).isEqualTo(1);

    assertThat(Files.readAllLines(log)).isEmpty();
    assertThat(Files.readString(dir.resolve("output")))
        .contains("the directory " + shared + " (owner uid ")
        .contains(", mode 0777), above the state directory " + state);
  }

  /** A sticky directory is no better as the state directory's own: its owner may rename it. */
  @Test
  void run_stateDirectoryInAStickyDirectory_runsNothing() throws Exception {
    hook("10-copies", "echo copied >> " + log);
    Path sticky = directory(dir.resolve("sticky"), "rwxrwxrwx");
    Files.setAttribute(sticky, "unix:mode", 01777);
    state = Files.createDirectory(sticky.resolve("state"));

    assertThat(run()).isEqualTo(1);

    assertThat(Files.readAllLines(log)).isEmpty();
  }

  /** Where a link to the state directory leads is checked too. */
  @Test
  void run_stateDirectoryLinkedIntoSuchADirectory_runsNothing() throws Exception {
    hook("10-copies", "echo copied >> " + log);
    Path shared = directory(dir.resolve("shared"), "rwxrwxrwx");
    Path real = Files.createDirectory(shared.resolve("state"));
    state = Files.createSymbolicLink(dir.resolve("linked"), real);

    assertThat(run()).isEqualTo(1);

    assertThat(Files.readAllLines(log)).isEmpty();
    assertThat(Files.readString(dir.resolve("output"))).contains("the directory " + shared + " (");
  }

  /** A directory above that another user owns, such as one of the user paird's own. */
  @Test
  void run_stateDirectoryInAnotherUsersDirectory_runsNothing() throws Exception {
    assumeTrue(Files.getAttribute(dir, "unix:uid").equals(0), "needs root to give it away");
    hook("10-copies", "echo copied >> " + log);
    Path theirs = directory(dir.resolve("theirs"), "rwxr-xr-x");
    state = Files.createDirectory(theirs.resolve("state"));
    Files.setOwner(
        theirs,
        dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));

    assertThat(run()).isEqualTo(1);

    assertThat(Files.readAllLines(log)).isEmpty();
    assertThat(Files.readString(dir.resolve("output")))
        .contains("the directory " + theirs + " (owner uid 65534, mode 0755)");
  }

  @Test
  void run_noDirectory_succeedsWithNothingToDo() throws Exception {
    Files.delete(hooks);

    assertThat(run()).isZero();
  }

  /** Makes {@code path} a directory with the mode {@code permissions}, whatever the umask. */
  private static Path directory(Path path, String permissions) throws IOException {
    Files.createDirectory(path);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    return path;
  }

  private void hook(String name, String body) throws IOException {
    Path file = hooks.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private int run(String... environment) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(SCRIPT.toString()).redirectErrorStream(true);
    builder.environment().put("PAIRD_TRUST_HOOKS", hooks.toString());
    builder.environment().put("PAIRD_STATE_DIR", state.toString());
    // No pause between passes, but in the tests of the pause, which set it.
    builder.environment().put("PAIRD_HOOK_INTERVAL", "0");
    // Where the runner notes its last pass (the unit's StateDirectory=).
    builder
        .environment()
        .put("STATE_DIRECTORY", Files.createDirectories(dir.resolve("hook-state")).toString());
    for (String setting : environment) {
      String[] pair = setting.split("=", 2);
      builder.environment().put(pair[0], pair[1]);
    }
    builder.redirectOutput(dir.resolve("output").toFile());
    Process process = builder.start();
    if (!process.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new AssertionError("trust-changed still ran after " + PATIENCE_SECONDS + " s");
    }
    if (!Files.exists(log)) {
      Files.write(log, List.of());
    }
    return process.exitValue();
  }
}
