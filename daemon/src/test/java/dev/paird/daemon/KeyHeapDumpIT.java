package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.HmacCode;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After one pairing with each suite, neither daemon's heap nor any file paird wrote (its state
 * directory: the trusted list, the journal, the outputs) holds the key in any form: a heap dump of
 * each ({@code jcmd PID GC.heap_dump}, which collects garbage first and writes the live objects) is
 * searched for the typed key with and without dashes, in ASCII and in UTF-16 of either byte order,
 * for the 16 bytes of the hmac key and for the spake2 code's secret digits. The dumps are deleted
 * afterwards; they are as large as the heap.
 */
final class KeyHeapDumpIT {
  @TempDir Path tmp;

  private final List<PairdProcess> started = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (PairdProcess paird : started) {
      paird.close();
    }
  }

  @Test
  void pairBothSuites_leavesNoKeyInEitherDaemonsHeapOrOnDisk() throws Exception {
    Pairctl a = start("device-a");
    Pairctl b = start("device-b");
    String addressOfA = a.look(Command.STATUS).path("listen").textValue();

    String spake2 = pair(a, b, addressOfA, "spake2");
    String hmac = pair(a, b, addressOfA, "hmac");

    Map<String, byte[]> secrets = new LinkedHashMap<>();
    encodings(secrets, "spake2 code", spake2);
    encodings(secrets, "hmac key", hmac);
    PairingCode spake2Code = PairingCode.parse(spake2);
    PairingCode hmacKey = PairingCode.parse(hmac);
    secrets.put("spake2 secret digits", ((Spake2Code) spake2Code).secretDigits());
    secrets.put("hmac key bytes", ((HmacCode) hmacKey).keyBytes());
    // Only paird's own files: pairctl's captured output, beside them, shows the key by design.
    List<Path> files = new ArrayList<>();
    for (String device : List.of("device-a", "device-b")) {
      try (Stream<Path> walk = Files.walk(tmp.resolve(device).resolve("state"))) {
        walk.filter(Files::isRegularFile).forEach(files::add);
      }
    }
    assertThat(files).as("the devices' state files").hasSizeGreaterThan(8);
    for (Path file : files) {
      assertThat(found(Files.readAllBytes(file), secrets)).as("secrets in %s", file).isEmpty();
    }
    for (PairdProcess paird : started) {
      assertThat(found(heapDump(paird), secrets))
          .as("secrets in the heap of paird %d", paird.process.pid())
          .isEmpty();
    }
  }

  /**
   * The control socket's buffers, outside the Java heap, that the documented residues (garbage the
   * collector has not yet overwritten) do not cover: on A the {@code new-key} answers, on B a
   * {@code pair} request whose key arrives in a later read than the rest of its line, as a client
   * that writes as it goes sends it. Nothing of either key may stay in memory the JVM did not
   * allocate for the Java heap. Both requests are written by this test itself, not by pairctl; the
   * {@code status} answer is what shows that B has read the line's first part before its key is
   * sent.
   */
  @Test
  void keysAnsweredAndSentInPieces_leaveNoCopyInPairdsMemoryOutsideItsHeap() throws Exception {
    Path socketA = tmp.resolve("device-a/control.sock");
    Path socketB = tmp.resolve("device-b/control.sock");
    Pairctl a = start("device-a");
    start("device-b");
    String addressOfA = a.look(Command.STATUS).path("listen").textValue();
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    for (String suite : List.of("spake2", "hmac")) {
      String key = newKey(socketA, suite);
      encodings(secrets, suite + " key", key);
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(socketB));
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        write(
            channel,
            "{\"v\":1,\"command\":\"status\"}\n"
                + "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\""
                + addressOfA
                + "\",\"key\":\"");
        assertThat(Pairctl.readLine(in)).contains("\"ok\":true");
        write(channel, key + "\"}}\n");
        String answer = Pairctl.readLine(in);
        assertThat(Pairctl.JSON.readTree(answer).path("ok").asBoolean()).as(answer).isTrue();
      }
    }

    for (PairdProcess paird : started) {
      assertThat(foundOutsideHeap(paird, secrets))
          .as("secrets outside the Java heap of paird %d", paird.process.pid())
          .isEmpty();
    }
  }

  /**
   * The {@code new-key} answer makes no copy of the key that outlives it: a dump of every object in
   * the issuing daemon's heap, the unreachable ones too (garbage not yet collected), taken right
   * after the answers and before any pairing, holds neither key in its typed form. The pending keys
   * themselves are in memory by design, as bytes and digits, never typed: the dashes and check
   * character are added only for the answer, which is written from one array that is wiped.
   */
  @Test
  void newKeyAnswers_leaveNoTypedKeyInTheIssuersHeap_evenAmongUnreachableObjects()
      throws Exception {
    Path socketA = tmp.resolve("device-a/control.sock");
    start("device-a");
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    for (String suite : List.of("spake2", "hmac", "spake2", "hmac")) {
      encodings(secrets, suite + " key " + secrets.size() / 6, newKey(socketA, suite));
    }

    PairdProcess paird = started.get(0);
    assertThat(found(heapDump(paird, "-all"), secrets))
        .as("typed keys among all objects of paird %d", paird.process.pid())
        .isEmpty();
  }

  /**
   * A {@code pair} request makes no copy of its key that outlives the pairing: a dump of every
   * object in the requesting daemon's heap, the unreachable ones too, taken after it paired with a
   * key of each suite, holds neither in its typed form. The request's line, the parser's text and
   * the parsed code are each wiped; nothing makes a {@code String} of the key.
   */
  @Test
  void pairRequests_leaveNoTypedKeyInTheRequestersHeap_evenAmongUnreachableObjects()
      throws Exception {
    Pairctl a = start("device-a");
    start("device-b");
    String addressOfA = a.look(Command.STATUS).path("listen").textValue();
    Map<String, byte[]> secrets = new LinkedHashMap<>();
    for (String suite : List.of("spake2", "hmac")) {
      String key = newKey(tmp.resolve("device-a/control.sock"), suite);
      encodings(secrets, suite + " key", key);
      JsonNode paired =
          Pairctl.JSON.readTree(
              Pairctl.exchange(
                  tmp.resolve("device-b/control.sock"),
                  "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\""
                      + addressOfA
                      + "\",\"key\":\""
                      + key
                      + "\"}}\n"));
      assertThat(paired.path("ok").asBoolean()).as(paired.toString()).isTrue();
    }

    PairdProcess b = started.get(1);
    assertThat(found(heapDump(b, "-all"), secrets))
        .as("typed keys among all objects of paird %d", b.process.pid())
        .isEmpty();
  }

  /**
   * pairctl, the user's own process, keeps no typed key either once it has shown or sent it: every
   * object of its heap, the unreachable ones too, is dumped while {@code new-key --wait} waits
   * after showing its key (as text and as JSON), and while {@code pair} waits for paird's answer
   * after sending the key it read from standard input (paird is then connecting to a listener that
   * never answers, which this test accepts: so paird has the request, and pairctl has sent it).
   */
  @Test
  void pairctl_keepsNoTypedKeyOnceItHasShownOrSentIt() throws Exception {
    Pairctl a = start("device-a");
    Pairctl b = start("device-b");
    for (boolean json : List.of(false, true)) {
      List<String> args = new ArrayList<>(List.of("new-key", "--wait", "--suite"));
      args.add(json ? "hmac" : "spake2");
      if (json) {
        args.add(0, "--json");
      }
      try (Pairctl.Running issuer = a.start(args.toArray(String[]::new))) {
        String key;
        if (json) {
          key = issuer.readJson().path("key").textValue();
        } else {
          while (!issuer.nextLine().equals("and enter this key when asked:")) {
            // the lines before the key
          }
          assertThat(issuer.nextLine()).isEmpty();
          key = issuer.nextLine().strip();
        }
        PairingCode.parse(key).destroy();
        Map<String, byte[]> secrets = new LinkedHashMap<>();
        encodings(secrets, String.join(" ", args), key);
        assertThat(found(heapDump(issuer.pid(), "-all"), secrets))
            .as("typed keys among all objects of pairctl %s", args)
            .isEmpty();
      }
    }

    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Pairctl.Running pair = b.start("pair", "127.0.0.1:" + silent.getLocalPort())) {
      String key = newKey(tmp.resolve("device-a/control.sock"), "spake2");
      pair.input(key + "\n");
      try (Socket fromPaird = silent.accept()) {
        Map<String, byte[]> secrets = new LinkedHashMap<>();
        encodings(secrets, "pair's key", key);
        assertThat(pair.isAlive()).as("pairctl pair waits for paird").isTrue();
        assertThat(found(heapDump(pair.pid(), "-all"), secrets))
            .as("typed keys among all objects of pairctl pair")
            .isEmpty();
      }
    }
  }

  /** A {@code new-key} of {@code suite} sent as raw JSON to {@code socket}; returns the key. */
  private static String newKey(Path socket, String suite) throws Exception {
    JsonNode issued =
        Pairctl.JSON.readTree(
            Pairctl.exchange(
                socket,
                "{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":\"" + suite + "\"}}\n"));
    String key = issued.path("result").path("key").textValue();
    assertThat(key).as(issued.toString()).isNotNull();
    return key;
  }

  private static void write(SocketChannel channel, String text) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  /**
   * The secrets found in {@code paird}'s writable memory that no file backs, outside the ranges
   * {@code jcmd GC.heap_info} gives for the Java heap's generations, each with its address.
   */
  private List<String> foundOutsideHeap(PairdProcess paird, Map<String, byte[]> secrets)
      throws Exception {
    long pid = paird.process.pid();
    Result info = Pairctl.run(tmp, List.of("jcmd", Long.toString(pid), "GC.heap_info"));
    assertThat(info.status()).as(info.out() + info.err()).isZero();
    List<long[]> heap = new ArrayList<>();
    Matcher range =
        Pattern.compile("\\[(0x[0-9a-f]+), *0x[0-9a-f]+, *(0x[0-9a-f]+)\\)").matcher(info.out());
    while (range.find()) {
      heap.add(
          new long[] {
            Long.parseUnsignedLong(range.group(1).substring(2), 16),
            Long.parseUnsignedLong(range.group(2).substring(2), 16)
          });
    }
    assertThat(heap).as("the heap's ranges in %s", info.out()).isNotEmpty();
    int longest = secrets.values().stream().mapToInt(b -> b.length).max().orElseThrow();
    List<String> found = new ArrayList<>();
    int regions = 0;
    try (RandomAccessFile memory = new RandomAccessFile("/proc/" + pid + "/mem", "r")) {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
        String[] fields = line.trim().split("\\s+", 6);
        String name = fields.length == 6 ? fields[5] : "";
        if (!fields[1].startsWith("rw") || name.startsWith("/")) {
          continue;
        }
        int dash = fields[0].indexOf('-');
        long from = Long.parseUnsignedLong(fields[0].substring(0, dash), 16);
        long to = Long.parseUnsignedLong(fields[0].substring(dash + 1), 16);
        if (heap.stream().anyMatch(r -> from >= r[0] && to <= r[1])) {
          continue;
        }
        regions++;
        byte[] chunk = new byte[1 << 20];
        for (long at = from; at < to; at += chunk.length - longest) {
          int length = (int) Math.min(chunk.length, to - at);
          try {
            memory.seek(at);
            memory.readFully(chunk, 0, length);
          } catch (IOException e) {
            break; // a region the kernel does not let be read, such as [vvar]
          }
          byte[] read = length == chunk.length ? chunk : Arrays.copyOf(chunk, length);
          for (String hit : found(read, secrets)) {
            found.add(hit + " in " + fields[0] + " " + name);
          }
          if (length < chunk.length) {
            break;
          }
        }
      }
    }
    assertThat(regions).as("anonymous writable regions outside the heap").isGreaterThan(10);
    return found;
  }

  /** {@code new-key --suite SUITE} on A, typed into {@code pair} on B; returns the key. */
  private static String pair(Pairctl a, Pairctl b, String addressOfA, String suite)
      throws Exception {
    JsonNode issued = a.json("new-key", "--suite", suite);
    String key = issued.path("key").textValue();
    Result pair = b.run("pair", addressOfA, key);
    assertThat(pair.status()).as(pair.err()).isZero();
    return key;
  }

  private Pairctl start(String name) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve(name));
    PairdProcess.Options options =
        PairdProcess.in(dir).identity(OpenSslCli.newSelfSigned(dir, name, KeyType.EC_P256));
    started.add(options.start());
    return options.pairctl();
  }

  /** The typed key with and without dashes, in every encoding a JVM stores text in. */
  private static void encodings(Map<String, byte[]> secrets, String what, String typed) {
    for (String form : List.of(typed, typed.replace("-", ""))) {
      String name = what + (form.equals(typed) ? "" : " without dashes");
      secrets.put(name + " (ASCII)", form.getBytes(StandardCharsets.US_ASCII));
      secrets.put(name + " (UTF-16BE)", form.getBytes(StandardCharsets.UTF_16BE));
      secrets.put(name + " (UTF-16LE)", form.getBytes(StandardCharsets.UTF_16LE));
    }
  }

  /** The live objects of {@code paird}'s heap, as HPROF bytes; the file is deleted. */
  private byte[] heapDump(PairdProcess paird) throws Exception {
    return heapDump(paird, null);
  }

  /**
   * {@code paird}'s heap as HPROF bytes, with {@code option} ({@code -all}: every object, not only
   * the live ones after a full collection) if not null; the file is deleted.
   */
  private byte[] heapDump(PairdProcess paird, String option) throws Exception {
    return heapDump(paird.process.pid(), option);
  }

  /** The heap of the JVM {@code pid} as HPROF bytes, as {@link #heapDump(PairdProcess, String)}. */
  private byte[] heapDump(long pid, String option) throws Exception {
    Path dump = tmp.resolve("jvm-" + pid + ".hprof");
    List<String> command = new ArrayList<>(List.of("jcmd", Long.toString(pid)));
    command.add("GC.heap_dump");
    if (option != null) {
      command.add(option);
    }
    command.add(dump.toString());
    try {
      Result jcmd = Pairctl.run(tmp, command);
      assertThat(jcmd.status()).as(jcmd.out() + jcmd.err()).isZero();
      assertThat(dump).isNotEmptyFile();
      return Files.readAllBytes(dump);
    } finally {
      Files.deleteIfExists(dump);
    }
  }

  /** The names of the secrets that occur in {@code heap}, with where. */
  private static List<String> found(byte[] heap, Map<String, byte[]> secrets) {
    List<String> found = new ArrayList<>();
    secrets.forEach(
        (name, pattern) -> {
          int at = indexOf(heap, pattern);
          if (at >= 0) {
            found.add(
                name
                    + " at offset "
                    + at
                    + ": "
                    + HexFormat.of()
                        .formatHex(
                            heap,
                            Math.max(0, at - 32),
                            Math.min(heap.length, at + pattern.length + 32)));
          }
        });
    return found;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
