package dev.paird.trust;

import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * The process {@link TrustStoreCrashIT} kills: opens a trust store and changes it until it is
 * killed, saying on stdout what the list will be before each change and what it is after.
 *
 * <p>Arguments: the state directory, a PEM file of the certificates to trust and remove, and a
 * random seed. Output, one line per event, kind and list separated by a tab:
 *
 * <ul>
 *   <li>{@code open} and the list as opened;
 *   <li>{@code next} and the list the next change should leave, before the change starts;
 *   <li>{@code ok} and the list as the store has it, after the change returned.
 * </ul>
 *
 * <p>The list a change should leave is worked out here, from the documented upsert rules, not asked
 * of the store: the test checks the store against it.
 */
public final class TrustStoreCrashWriter {
  /** The changes the journal holds before a change compacts it. */
  static final int COMPACT_AFTER = 2;

  private TrustStoreCrashWriter() {}

  public static void main(String[] args) throws Exception {
    Path stateDir = Path.of(args[0]);
    List<X509Certificate> certificates = readCertificates(Path.of(args[1]));
    Random random = new Random(Long.parseLong(args[2]));
    // Unbuffered, flushed after every line: a line seen by the test was said before the kill.
    PrintStream out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);

    // Compacts every third change, so that kills land in compactions too.
    TrustStore store =
        TrustStore.open(
            stateDir,
            TrustStore.DEFAULT_MAX_PEERS,
            TrustStore.MAX_FILE_BYTES,
            TrustStore.DURABLE,
            AtomicFiles::replace,
            COMPACT_AFTER);
    report(out, "open", store.list());
    for (long change = 0; ; change++) {
      X509Certificate certificate = certificates.get(random.nextInt(certificates.size()));
      String fingerprint = Certificates.fingerprint(certificate);
      List<TrustedPeer> before = store.list();
      Optional<TrustedPeer> existing = store.get(fingerprint);
      if (existing.isPresent() && random.nextInt(100) < 40) {
        List<TrustedPeer> after = new ArrayList<>(before);
        after.remove(existing.get());
        report(out, "next", after);
        store.remove(fingerprint);
      } else {
        String host = "host-" + change;
        Suite suite = random.nextBoolean() ? Suite.HMAC : Suite.SPAKE2;
        Optional<String> label =
            random.nextInt(3) == 0 ? Optional.empty() : Optional.of("label-" + change);
        Instant now = Instant.now();
        report(out, "next", expectedAfterPut(before, certificate, host, suite, label, now));
        store.put(certificate, host, suite, label, now);
      }
      report(out, "ok", store.list());
    }
  }

  /** The list after a put, by the rules in {@link TrustStore}'s class comment. */
  private static List<TrustedPeer> expectedAfterPut(
      List<TrustedPeer> before,
      X509Certificate certificate,
      String host,
      Suite suite,
      Optional<String> label,
      Instant now) {
    String fingerprint = Certificates.fingerprint(certificate);
    List<TrustedPeer> after = new ArrayList<>();
    TrustedPeer old = null;
    for (TrustedPeer peer : before) {
      if (peer.fingerprint().equals(fingerprint)) {
        old = peer;
      } else {
        after.add(peer);
      }
    }
    after.add(
        new TrustedPeer(
            fingerprint,
            Certificates.subject(certificate),
            certificate,
            old == null ? now : old.addedAt(),
            now,
            host,
            suite,
            label.isPresent() || old == null ? label : old.label()));
    after.sort(Comparator.comparing(TrustedPeer::addedAt).thenComparing(TrustedPeer::fingerprint));
    return after;
  }

  /** A list as one line: every field of every peer that the JSON file holds. */
  static String describe(List<TrustedPeer> peers) {
    return peers.stream()
        .map(
            peer ->
                String.join(
                    " ",
                    peer.fingerprint(),
                    peer.host(),
                    peer.suite().wireName(),
                    peer.label().orElse("-"),
                    peer.addedAt().toString(),
                    peer.updatedAt().toString()))
        .collect(Collectors.joining(";"));
  }

  /** The fingerprints in a {@link #describe} line, in order. */
  static List<String> fingerprints(String description) {
    List<String> fingerprints = new ArrayList<>();
    if (!description.isEmpty()) {
      for (String peer : description.split(";", -1)) {
        fingerprints.add(peer.substring(0, peer.indexOf(' ')));
      }
    }
    return fingerprints;
  }

  private static void report(PrintStream out, String kind, List<TrustedPeer> peers) {
    out.print(kind + "\t" + describe(peers) + "\n");
    out.flush();
  }

  private static List<X509Certificate> readCertificates(Path pem) throws Exception {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(pem))) {
      List<X509Certificate> certificates = new ArrayList<>();
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certificates.add((X509Certificate) certificate);
      }
      return certificates;
    }
  }
}
