package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another local user watching the process list while {@code pairctl pair HOST} reads the key from
 * standard input: the watcher ({@link ProcWatcher}, as nobody) reads every command line and
 * environment it may from before pairctl starts until after it exits, and never sees the key, while
 * it does see a marker that a decoy process carries on its command line, as it would see a key
 * there. The pairing succeeds.
 */
final class KeyOnCommandLineIT {
  @TempDir Path tmp;

  private final List<PairdProcess> started = new ArrayList<>();
  private final List<Process> helpers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Process helper : helpers) {
      helper.destroyForcibly().waitFor(Pairctl.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
    for (PairdProcess paird : started) {
      paird.close();
    }
  }

  @Test
  void pairReadingTheKeyFromStandardInput_neverShowsItToAnotherUser() throws Exception {
    assumeTrue(Pairctl.canRunAsNobody(tmp), "needs root and setpriv to watch as another user");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Pairctl a = start("a");
    Pairctl b = start("b");
    String address = a.look(Command.STATUS).path("listen").textValue();
    String key = a.json("new-key").path("key").textValue();
    String marker =
        "decoy-" + HexFormat.of().formatHex(SecureRandom.getInstanceStrong().generateSeed(8));
    Process decoy = helper(new ProcessBuilder("sh", "-c", "read line", marker));

    Process watcher =
        helper(
            new ProcessBuilder(watcherCommand())
                .redirectError(tmp.resolve("watcher-err.txt").toFile()));
    BufferedReader seen =
        new BufferedReader(new InputStreamReader(watcher.getInputStream(), StandardCharsets.UTF_8));
    OutputStream toWatcher = watcher.getOutputStream();
    toWatcher.write(
        (key + "\n" + key.replace("-", "") + "\n" + marker + "\n\n")
            .getBytes(StandardCharsets.UTF_8));
    toWatcher.flush();
    List<String> reports = new ArrayList<>();
    readUntil(seen, "READY", reports);

    Process pair =
        new ProcessBuilder(
                Pairctl.PAIRCTL.toString(),
                "--socket",
                tmp.resolve("b/control.sock").toString(),
                "--json",
                "pair",
                address)
            .redirectError(tmp.resolve("pair-err.txt").toFile())
            .start();
    pair.getOutputStream().write((key + "\n").getBytes(StandardCharsets.US_ASCII));
    pair.getOutputStream().close();
    String answer = new String(pair.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(pair.waitFor(Pairctl.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    toWatcher.write("stop\n".getBytes(StandardCharsets.US_ASCII));
    toWatcher.flush();
    String passes = readUntil(seen, "PASSES ", reports);

    assertThat(pair.exitValue()).as(Files.readString(tmp.resolve("pair-err.txt"))).isZero();
    assertThat(Pairctl.JSON.readTree(answer).path("peer").path("fingerprint").textValue())
        .isEqualTo(a.look(Command.STATUS).path("fingerprint").textValue());
    assertThat(reports).as("the watcher sees a command line").contains("SEEN 2 " + decoy.pid());
    assertThat(reports)
        .as("the key, with or without dashes")
        .noneMatch(report -> report.startsWith("SEEN 0 ") || report.startsWith("SEEN 1 "));
    assertThat(Long.parseLong(passes.substring("PASSES ".length()))).isGreaterThan(2);
    JsonNode trusted = b.look(Command.LIST_TRUSTED).path("peers");
    assertThat(trusted).hasSize(1);
  }

  /**
   * SECURITY.md, "Typing the key": {@code --key-file} is refused when other users may read it, its
   * group's members included, or when it is a link; the real pairctl then sends nothing (the key
   * keeps every attempt), and the same key from a file private to its owner pairs.
   */
  @Test
  void pairFromAKeyFile_refusedUnlessPrivateToItsOwner_thenPairs() throws Exception {
    Pairctl a = start("a");
    Pairctl b = start("b");
    String address = a.look(Command.STATUS).path("listen").textValue();
    JsonNode issued = a.json("new-key");
    Path file = Files.writeString(tmp.resolve("key"), issued.path("key").textValue() + "\n");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), file);

    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    Pairctl.Result groupMayRead = b.run("pair", address, "--key-file", file.toString());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Pairctl.Result throughALink = b.run("pair", address, "--key-file", link.toString());
    JsonNode keys = a.look(Command.LIST_KEYS).path("keys");
    Pairctl.Result privateFile = b.run("pair", address, "--key-file", file.toString());

    assertThat(groupMayRead.status()).as(groupMayRead.err()).isEqualTo(2);
    assertThat(groupMayRead.err()).contains("is open to other users (mode 0640)");
    assertThat(throughALink.status()).as(throughALink.err()).isEqualTo(2);
    assertThat(throughALink.err()).contains("is a symbolic link");
    assertThat(keys).hasSize(1);
    assertThat(keys.get(0).path("attempts_left").intValue())
        .as("all of max_attempts (3 by default) left: the refused files sent nothing")
        .isEqualTo(3);
    assertThat(privateFile.status()).as(privateFile.err()).isZero();
    assertThat(b.look(Command.LIST_TRUSTED).path("peers")).hasSize(1);
  }

  /** Starts a paird in {@code tmp/NAME} and returns the pairctl that drives it. */
  private Pairctl start(String name) throws Exception {
    PairdProcess.Options options = PairdProcess.in(Files.createDirectory(tmp.resolve(name)));
    started.add(options.start());
    return options.pairctl();
  }

  private Process helper(ProcessBuilder builder) throws Exception {
    Process process = builder.start();
    helpers.add(process);
    return process;
  }

  /**
   * java, as nobody, running a copy of the watcher's class from a directory nobody can read (the
   * checkout may be in a directory it cannot).
   */
  private List<String> watcherCommand() throws Exception {
    Path classes = tmp.resolve("watcher");
    Path target = classes.resolve("dev/paird/daemon");
    Files.createDirectories(target);
    for (Path dir = target; !dir.equals(tmp); dir = dir.getParent()) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path compiled =
        Path.of(ProcWatcher.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve("dev/paird/daemon/ProcWatcher.class");
    Files.setPosixFilePermissions(
        Files.copy(compiled, target.resolve("ProcWatcher.class")),
        PosixFilePermissions.fromString("rw-r--r--"));
    List<String> command = new ArrayList<>(Pairctl.asNobody());
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xshare:auto",
            "-cp",
            classes.toString(),
            ProcWatcher.class.getName()));
    return command;
  }

  /** Reads the watcher's lines into {@code reports} until one starts with {@code prefix}. */
  private static String readUntil(BufferedReader in, String prefix, List<String> reports)
      throws Exception {
    while (true) {
      String line = Pairctl.readLine(in);
      if (line.startsWith(prefix)) {
        return line;
      }
      reports.add(line);
    }
  }
}
