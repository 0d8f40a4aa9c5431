package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.ctl.PairctlCalls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * pairctl as a person or a script runs it, through packaging/bin/pairctl, against one paird's
 * control socket: either waited for, with its output in files in a scratch directory, or started in
 * the background and its standard output read line by line as it comes.
 */
public final class Pairctl {
  static final Path PAIRCTL = PairdProcess.REPO.resolve("packaging/bin/pairctl");

  /** Bounds every wait for pairctl; pair and ping themselves give up well before. */
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  public static final ObjectMapper JSON = new ObjectMapper();

  private final Path socket;
  private final Path scratch;

  /** pairctl for the paird serving {@code socket}; its output files go in {@code scratch}. */
  public Pairctl(Path socket, Path scratch) {
    this.socket = socket;
    this.scratch = scratch;
  }

  /** How a pairctl run ended: its exit status and what it printed. */
  public record Result(int status, String out, String err) {
    /** stdout as JSON: the answer of a {@code --json} run, or its {@code error} object. */
    public JsonNode json() throws IOException {
      return JSON.readTree(out);
    }
  }

  /** Runs {@code pairctl --socket SOCKET ARGS} and waits for it. */
  public Result run(String... args) throws Exception {
    return run(scratch, command(args));
  }

  /** The answer of {@code pairctl --json ARGS}, which must succeed. */
  public JsonNode json(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("--json"));
    command.addAll(List.of(args));
    Result result = run(command.toArray(String[]::new));
    assertThat(result.status)
        .as("pairctl --json %s: %s", String.join(" ", args), result.err)
        .isZero();
    return result.json();
  }

  /**
   * The result of {@code command}, which only reads (status, list-keys, list-trusted), through
   * pairctl's client code in this JVM: the object {@code pairctl --json} prints, without starting a
   * JVM for it. For the checks around what a test does; what pairctl shows of these commands is
   * tested by real runs.
   */
  public JsonNode look(Command command) throws Exception {
    assertThat(command.changesState()).as("%s only reads", command).isFalse();
    return PairctlCalls.call(socket, command, Map.of());
  }

  /**
   * Cancels every pending key and removes every trusted peer, in this JVM, so that a daemon that
   * several tests share is as freshly started for each; then checks that it is.
   */
  public void forgetAll() throws Exception {
    for (JsonNode key : look(Command.LIST_KEYS).path("keys")) {
      PairctlCalls.call(socket, Command.CANCEL_KEY, Map.of("id", key.path("id").textValue()));
    }
    for (JsonNode peer : look(Command.LIST_TRUSTED).path("peers")) {
      PairctlCalls.call(
          socket, Command.REMOVE, Map.of("fingerprint", peer.path("fingerprint").textValue()));
    }
    JsonNode status = look(Command.STATUS);
    assertThat(status.path("pending_keys").intValue()).as("pending keys left").isZero();
    assertThat(status.path("trusted_peers").intValue()).as("trusted peers left").isZero();
  }

  /**
   * The SHA-256, in hex, of each file that holds this paird's trusted list or is made from it for
   * other software ({@code trusted.json}, {@code trusted.journal}, {@code trusted.pem}, {@code
   * trusted.p12}), by name; "absent" for one that does not exist. Equal before and after a request
   * if and only if the request changed none of them.
   */
  public Map<String, String> trustFiles() throws Exception {
    Path state = Path.of(look(Command.STATUS).path("state_dir").textValue());
    Map<String, String> digests = new TreeMap<>();
    for (String name : List.of("trusted.json", "trusted.journal", "trusted.pem", "trusted.p12")) {
      Path file = state.resolve(name);
      digests.put(
          name,
          Files.exists(file)
              ? HexFormat.of()
                  .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)))
              : "absent");
    }
    return digests;
  }

  /**
   * Runs {@code pairctl --socket SOCKET ARGS} with its standard output a pipe whose reader has
   * gone, as {@code pairctl ... | head -1} leaves it once head has its line, and waits for it;
   * {@code out} of the result is empty. This side of the pipe is closed at once; a shell in front
   * of pairctl writes to it until a write fails, so that pairctl starts only once nobody reads,
   * then becomes pairctl.
   */
  public Result runIntoClosedPipe(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "/bin/sh",
                "-c",
                "trap '' PIPE; while printf x 2>/dev/null; do :; done; exec \"$@\"",
                "sh"));
    command.addAll(command(args));
    Path err = Files.createTempFile(scratch, "err", ".txt");
    Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
    process.getInputStream().close();
    assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .as("%s finished", command)
        .isTrue();
    return new Result(process.exitValue(), "", Files.readString(err));
  }

  /** Starts {@code pairctl --socket SOCKET ARGS} without waiting for it. */
  public Running start(String... args) throws IOException {
    Path err = Files.createTempFile(scratch, "err", ".txt");
    Process process = new ProcessBuilder(command(args)).redirectError(err.toFile()).start();
    return new Running(process, err);
  }

  private List<String> command(String... args) {
    List<String> command =
        new ArrayList<>(List.of(PAIRCTL.toString(), "--socket", socket.toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** Runs any command, pairctl or not, with its output in files in {@code scratch}. */
  static Result run(Path scratch, List<String> command) throws Exception {
    Path out = Files.createTempFile(scratch, "out", ".txt");
    Path err = Files.createTempFile(scratch, "err", ".txt");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .as("%s finished", command)
        .isTrue();
    return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  /** Whether this test runs as root with setpriv, so that it can run commands as nobody. */
  static boolean canRunAsNobody(Path tmp) throws IOException {
    return Files.getAttribute(tmp, "unix:uid").equals(0) && Files.isExecutable(SETPRIV);
  }

  /** The words that run the rest of a command as nobody (uid and gid 65534, no other groups). */
  static List<String> asNobody() {
    return List.of(SETPRIV.toString(), "--reuid=65534", "--regid=65534", "--clear-groups");
  }

  /**
   * A command that runs pairctl as nobody against {@code socket}: nobody may not be able to reach
   * the checkout (a clone in a 0700 directory), so it runs a copy of the launch script and its
   * jars, made in {@code tmp}, which becomes searchable by all.
   */
  static List<String> asNobody(Path tmp, Path socket, String... args) throws IOException {
    Path copy = tmp.resolve("as-nobody");
    if (!Files.exists(copy)) {
      Files.createDirectories(copy.resolve("lib"));
      for (Path dir : List.of(tmp, copy, copy.resolve("lib"))) {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      Path script = Files.copy(PAIRCTL, copy.resolve("pairctl"));
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
      try (var jars =
          Files.newDirectoryStream(PairdProcess.REPO.resolve("ctl/target/lib"), "*.jar")) {
        for (Path jar : jars) {
          Files.setPosixFilePermissions(
              Files.copy(jar, copy.resolve("lib").resolve(jar.getFileName())),
              PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
    }
    List<String> command = new ArrayList<>(asNobody());
    command.addAll(
        List.of(
            "/usr/bin/env",
            "PAIRCTL_LIB=" + copy.resolve("lib"),
            copy.resolve("pairctl").toString(),
            "--socket",
            socket.toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** A line, waited for with a bound; on timeout the caller closes the stream's source. */
  static String readLine(BufferedReader in) throws Exception {
    return readLine(in, TIMEOUT);
  }

  /**
   * Sends raw text on a fresh connection to the control socket {@code socket}, as any program may
   * (no pairctl code), and returns the first line of the answer.
   */
  public static String exchange(Path socket, String request) throws Exception {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer bytes = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      return readLine(
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8)));
    }
  }

  /** A line, waited for at most {@code bound}; on timeout the caller closes the stream's source. */
  public static String readLine(BufferedReader in, Duration bound) throws Exception {
    String line = readLineOrEnd(in, bound);
    assertThat(line).as("a line before the end of the stream").isNotNull();
    return line;
  }

  /** The same, but null at the end of the stream (or if reading fails). */
  public static String readLineOrEnd(BufferedReader in, Duration bound) throws Exception {
    try {
      return CompletableFuture.supplyAsync(
              () -> {
                try {
                  return in.readLine();
                } catch (IOException e) {
                  return null;
                }
              })
          .get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no line and no end of stream within " + bound.toSeconds() + " s");
    }
  }

  /** A pairctl still running, such as {@code new-key --wait}: its stdout is read as it comes. */
  public static final class Running implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Path err;

    private Running(Process process, Path err) {
      this.process = process;
      this.out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      this.err = err;
    }

    /** The next line pairctl prints, as JSON. */
    public JsonNode readJson() throws Exception {
      return JSON.readTree(readLine(out));
    }

    /** The next line pairctl prints, as JSON, waited for at most {@code bound}. */
    public JsonNode readJson(Duration bound) throws Exception {
      return JSON.readTree(readLine(out, bound));
    }

    public boolean isAlive() {
      return process.isAlive();
    }

    /** The process id of pairctl's JVM: the launch script replaces itself with it. */
    public long pid() {
      return process.pid();
    }

    /** Writes {@code text} to pairctl's standard input and closes it. */
    public void input(String text) throws IOException {
      try (var in = process.getOutputStream()) {
        in.write(text.getBytes(StandardCharsets.UTF_8));
      }
    }

    /** The next line pairctl prints, waited for with a bound. */
    public String nextLine() throws Exception {
      return Pairctl.readLine(out);
    }

    /** Waits for pairctl to exit; the result holds what it printed that was not read yet. */
    public Result finish() throws Exception {
      assertThat(process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
          .as("pairctl finished")
          .isTrue();
      StringBuilder rest = new StringBuilder();
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        rest.append(line).append('\n');
      }
      return new Result(process.exitValue(), rest.toString(), Files.readString(err));
    }

    /** Kills a pairctl that the test no longer waits for (it failed before reading it out). */
    @Override
    public void close() throws IOException {
      process.destroyForcibly();
      out.close();
    }
  }
}
