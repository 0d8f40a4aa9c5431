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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    Path dump = tmp.resolve("paird-" + paird.process.pid() + ".hprof");
    try {
      Result jcmd =
          Pairctl.run(
              tmp,
              List.of("jcmd", Long.toString(paird.process.pid()), "GC.heap_dump", dump.toString()));
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
