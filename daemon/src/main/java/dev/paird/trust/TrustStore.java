package dev.paird.trust;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.io.AtomicFiles;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The devices this one trusts, kept in {@code trusted.json} in the state directory, with the same
 * certificates beside it in the forms other TLS software reads: {@code trusted.pem}, a PEM bundle,
 * and the outputs of {@link ConsumerFiles} (an OpenSSL CApath directory {@code trusted-certs/} and
 * a PKCS#12 trust store {@code trusted.p12}).
 *
 * <p>What it guarantees:
 *
 * <ul>
 *   <li><b>Atomic.</b> A change ({@link #put}, {@link #remove}) is made whole or not at all. If
 *       writing fails, the method throws {@link ErrorCode#INTERNAL}, the files are put back and
 *       {@link #list()} is as before.
 *   <li><b>Durable once a method returns.</b> {@code trusted.json} is written to a temporary file,
 *       fsynced, renamed over the old one and the directory fsynced before the method returns; so
 *       are the outputs of a {@link #remove}. The outputs of a {@link #put}, which only adds trust,
 *       are renamed into place the same way but not fsynced: a power cut may lose them, which
 *       withholds the new peer from other software until {@link #open} rebuilds them.
 *   <li><b>Old or new after a crash.</b> A crash or power loss at any instant leaves {@code
 *       trusted.json} holding either the list before the change in flight or the list after it,
 *       never a torn file. {@code trusted.json} is written before {@code trusted.pem} and the other
 *       outputs, so after a crash each of them is either that of the list on disk or of the list
 *       one change before; {@link #open} rewrites each one that is not exactly what the list says.
 *   <li><b>Never silently empty.</b> A {@code trusted.json} that is unreadable, malformed, of an
 *       unknown version or inconsistent makes {@link #open} fail with {@link
 *       ErrorCode#STATE_INVALID}, naming the file and what to do; only a missing file means an
 *       empty list.
 *   <li><b>Thread-safe.</b> Changes are serialized by one lock; reads take no lock and see an
 *       immutable snapshot that a change replaces only after every file is on disk.
 * </ul>
 *
 * <p>What it does not do: it does not stop two processes from writing the same directory (the
 * daemon holds a lock on its state directory for that); it does not judge certificates (expiry, key
 * strength): a peer is trusted by its exact certificate, whatever that says; and if a failed write
 * cannot be undone either (a failing disk), the change may reappear after a restart, as the
 * exception then says.
 *
 * <p>Pairing a peer that is already trusted updates its entry rather than adding another: the host
 * and suite become those of the new pairing, the label too if one is given (otherwise the old label
 * stays), {@code updatedAt} becomes now, and {@code addedAt} keeps the first pairing's time, so the
 * list's order does not change.
 */
public final class TrustStore {
  /**
   * The most peers a store takes unless told otherwise: a hub paired with a fleet. What bounds it
   * is paird's heap (128 MiB, about 5 KiB a peer) and {@link #MAX_FILE_BYTES}; docs/PERFORMANCE.md
   * has the figures.
   */
  public static final int DEFAULT_MAX_PEERS = 10_000;

  /**
   * The largest {@code trusted.json} {@link #open} reads, and so the largest a change writes: peers
   * choose their certificates, and a few huge ones must not make the list unreadable. It is a bound
   * paird's 128 MiB heap holds while parsing: {@link #DEFAULT_MAX_PEERS} peers with P-256
   * certificates take about 8 MiB (peers with RSA-4096 certificates, about 3 KiB each, reach it at
   * some 5,500), and a larger file is refused with a message rather than ending start-up in an
   * OutOfMemoryError.
   */
  static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

  /** Writes a file atomically and durably; {@link AtomicFiles#write} except in tests. */
  @FunctionalInterface
  interface AtomicWriter {
    void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
        throws IOException;
  }

  /**
   * What readers see: the list in order, an index by fingerprint, and whether {@code trusted.json}
   * exists (to undo a failed first change by deleting it again).
   */
  private record Snapshot(
      List<TrustedPeer> peers, Map<String, TrustedPeer> byFingerprint, boolean jsonExists) {
    static Snapshot of(List<TrustedPeer> peers, boolean jsonExists) {
      List<TrustedPeer> ordered = new ArrayList<>(peers);
      ordered.sort(TrustFiles.ORDER);
      Map<String, TrustedPeer> index = new HashMap<>();
      for (TrustedPeer peer : ordered) {
        index.put(peer.fingerprint(), peer);
      }
      return new Snapshot(List.copyOf(ordered), Map.copyOf(index), jsonExists);
    }
  }

  private final Path stateDir;
  private final Path jsonFile;
  private final Path pemFile;
  private final int maxPeers;
  private final int maxFileBytes;
  private final AtomicWriter writer;
  private final AtomicWriter additions;
  private final PeerEncodings encodings;
  private final Object writeLock = new Object();
  private volatile Snapshot snapshot;

  private TrustStore(
      Path stateDir,
      int maxPeers,
      int maxFileBytes,
      AtomicWriter writer,
      AtomicWriter additions,
      PeerEncodings encodings,
      Snapshot snapshot) {
    this.stateDir = stateDir;
    this.jsonFile = stateDir.resolve(TrustFiles.JSON_NAME);
    this.pemFile = stateDir.resolve(TrustFiles.PEM_NAME);
    this.maxPeers = maxPeers;
    this.maxFileBytes = maxFileBytes;
    this.writer = writer;
    this.additions = additions;
    this.encodings = encodings;
    this.snapshot = snapshot;
  }

  /** {@link #open(Path, int)} with {@link #DEFAULT_MAX_PEERS}. */
  public static TrustStore open(Path stateDir) throws PairdException {
    return open(stateDir, DEFAULT_MAX_PEERS);
  }

  /**
   * Reads the trusted list from {@code stateDir}, which must exist. Removes temporary files left by
   * a crashed write and rewrites {@code trusted.pem} and the {@link ConsumerFiles} outputs where
   * they are missing or not what the list says. Creates no {@code trusted.json} until the first
   * change.
   *
   * <p>A list longer than {@code maxPeers} (the limit was lowered) is loaded; it only takes no new
   * peers until it is shorter.
   *
   * @throws PairdException {@link ErrorCode#STATE_INVALID} if the directory or either file cannot
   *     be read or written, or {@code trusted.json} is damaged; the message names the file
   */
  public static TrustStore open(Path stateDir, int maxPeers) throws PairdException {
    return open(stateDir, maxPeers, MAX_FILE_BYTES, AtomicFiles::write, AtomicFiles::replace);
  }

  /** With {@code writer} for every file, additions' outputs too. */
  static TrustStore open(Path stateDir, int maxPeers, int maxFileBytes, AtomicWriter writer)
      throws PairdException {
    return open(stateDir, maxPeers, maxFileBytes, writer, writer);
  }

  /**
   * With {@code writer} for the list and for every output of a start-up or a change that stops
   * trusting a certificate, and {@code additions} for the outputs of a change that only adds one.
   */
  static TrustStore open(
      Path stateDir, int maxPeers, int maxFileBytes, AtomicWriter writer, AtomicWriter additions)
      throws PairdException {
    if (maxPeers < 1) {
      throw new IllegalArgumentException("maxPeers must be at least 1, not " + maxPeers);
    }
    if (!Files.isDirectory(stateDir)) {
      throw new PairdException(
          ErrorCode.STATE_INVALID, "the state directory " + stateDir + " does not exist");
    }
    Path jsonFile = stateDir.resolve(TrustFiles.JSON_NAME);
    Path pemFile = stateDir.resolve(TrustFiles.PEM_NAME);
    try {
      AtomicFiles.removeLeftovers(jsonFile);
      AtomicFiles.removeLeftovers(pemFile);
      ConsumerFiles.removeLeftovers(stateDir);
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.STATE_INVALID,
          "cannot remove temporary files of a crashed write from " + stateDir + ": " + reason(e),
          e);
    }
    Optional<byte[]> json = readBounded(jsonFile, maxFileBytes);
    List<TrustedPeer> peers =
        json.isPresent() ? TrustFiles.decodeJson(jsonFile, json.get()) : List.of();
    Snapshot snapshot = Snapshot.of(peers, json.isPresent());
    PeerEncodings encodings = new PeerEncodings();
    byte[] pem = TrustFiles.encodePem(snapshot.peers(), encodings);
    Optional<byte[]> pemOnDisk;
    try {
      pemOnDisk = readBounded(pemFile, maxFileBytes);
    } catch (PairdException e) {
      // The bundle is derived from the list; whatever is wrong with it, the rewrite below decides.
      pemOnDisk = Optional.empty();
    }
    if (pemOnDisk.isEmpty() || !Arrays.equals(pemOnDisk.get(), pem)) {
      try {
        writer.write(pemFile, pem, AtomicFiles.PUBLIC);
      } catch (IOException e) {
        throw new PairdException(
            ErrorCode.STATE_INVALID,
            "cannot bring the trusted-certificate bundle " + pemFile + " up to date: " + reason(e),
            e);
      }
    }
    try {
      ConsumerFiles.write(stateDir, snapshot.peers(), writer, encodings);
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.STATE_INVALID,
          "cannot bring the trusted certificates for other software in "
              + stateDir
              + " up to date: "
              + reason(e),
          e);
    }
    return new TrustStore(stateDir, maxPeers, maxFileBytes, writer, additions, encodings, snapshot);
  }

  /** Every trusted peer, ordered by {@code addedAt} then fingerprint. */
  public List<TrustedPeer> list() {
    return snapshot.peers();
  }

  /**
   * The peer with this fingerprint: 64 hex digits, either case, colons allowed. Empty if there is
   * none or the text is not a fingerprint.
   */
  public Optional<TrustedPeer> get(String fingerprint) {
    return Fingerprints.normalizeHex(fingerprint).map(hex -> snapshot.byFingerprint().get(hex));
  }

  /**
   * The peers whose fingerprint starts with {@code hexPrefix} (either case, colons ignored), in
   * list order.
   *
   * @throws PairdException {@link ErrorCode#INVALID_ARGUMENT} if the prefix is empty or has a
   *     character other than hex digits and colons
   */
  public List<TrustedPeer> findByPrefix(String hexPrefix) throws PairdException {
    String prefix =
        Fingerprints.normalizeHex(hexPrefix)
            .filter(hex -> !hex.isEmpty())
            .orElseThrow(
                () ->
                    new PairdException(
                        ErrorCode.INVALID_ARGUMENT,
                        "a fingerprint prefix is one or more hex digits (0-9, a-f),"
                            + " optionally with colons, as pairctl list-trusted shows"));
    return snapshot.peers().stream()
        .filter(peer -> peer.fingerprint().startsWith(prefix))
        .collect(Collectors.toUnmodifiableList());
  }

  /**
   * The one peer whose fingerprint starts with {@code hexPrefix}, as {@link #findByPrefix}.
   *
   * @throws PairdException {@link ErrorCode#NOT_FOUND} if none matches, {@link ErrorCode#AMBIGUOUS}
   *     (listing the candidates) if several do, {@link ErrorCode#INVALID_ARGUMENT} if the prefix is
   *     malformed
   */
  public TrustedPeer findUnique(String hexPrefix) throws PairdException {
    List<TrustedPeer> found = findByPrefix(hexPrefix);
    if (found.isEmpty()) {
      throw new PairdException(
          ErrorCode.NOT_FOUND, "no trusted peer has a fingerprint starting with that prefix");
    }
    if (found.size() > 1) {
      throw new PairdException(
          ErrorCode.AMBIGUOUS,
          found.size()
              + " trusted peers have a fingerprint starting with that prefix ("
              + found.stream()
                  .map(peer -> peer.fingerprint().substring(0, 16) + "...")
                  .collect(Collectors.joining(", "))
              + "); type more of it");
    }
    return found.get(0);
  }

  /**
   * Trusts {@code certificate}, or updates its entry if it is already trusted (see the class
   * comment), and returns the entry as stored. On return every file is on disk.
   *
   * @throws PairdException {@link ErrorCode#INVALID_ARGUMENT} if the host or label is not
   *     acceptable, {@link ErrorCode#LIMIT_REACHED} if the certificate is new and the list is full,
   *     {@link ErrorCode#INTERNAL} if writing failed (nothing was changed)
   */
  public TrustedPeer put(
      X509Certificate certificate, String host, Suite suite, Optional<String> label, Instant now)
      throws PairdException {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(suite, "suite");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(now, "now");
    synchronized (writeLock) {
      Snapshot current = snapshot;
      TrustedPeer existing = current.byFingerprint().get(Certificates.fingerprint(certificate));
      TrustedPeer peer;
      try {
        peer =
            existing == null
                ? TrustedPeer.create(certificate, host, suite, label, now)
                : existing.repaired(host, suite, label, now);
      } catch (IllegalArgumentException e) {
        throw new PairdException(ErrorCode.INVALID_ARGUMENT, e.getMessage(), e);
      }
      if (existing == null && current.peers().size() >= maxPeers) {
        throw new PairdException(
            ErrorCode.LIMIT_REACHED,
            "the trusted list is full ("
                + current.peers().size()
                + " peers, at most "
                + maxPeers
                + "); remove a peer you no longer use with pairctl remove, then pair again");
      }
      List<TrustedPeer> next = new ArrayList<>(current.peers());
      next.remove(existing);
      next.add(peer);
      // Re-pairing keeps the certificate: a put never stops trusting one.
      commit(current, Snapshot.of(next, true), additions);
      return peer;
    }
  }

  /**
   * Stops trusting the peer with this fingerprint (64 hex digits, either case, colons allowed) and
   * returns its entry; empty, and nothing written, if there is none. On return every file is on
   * disk.
   *
   * @throws PairdException {@link ErrorCode#INTERNAL} if writing failed (nothing was changed)
   */
  public Optional<TrustedPeer> remove(String fingerprint) throws PairdException {
    synchronized (writeLock) {
      Snapshot current = snapshot;
      Optional<TrustedPeer> existing =
          Fingerprints.normalizeHex(fingerprint).map(current.byFingerprint()::get);
      if (existing.isPresent()) {
        List<TrustedPeer> next = new ArrayList<>(current.peers());
        next.remove(existing.get());
        commit(current, Snapshot.of(next, true), writer);
        encodings.forget(existing.get().fingerprint());
      }
      return existing;
    }
  }

  /** The list file, for messages. */
  public Path jsonFile() {
    return jsonFile;
  }

  /**
   * Writes {@code next} to every file, list first, then publishes it. On failure puts back what the
   * failed change had already replaced, so that disk and memory keep agreeing.
   *
   * <p>The list is always written durably. The outputs are written with {@code outputs}: durably
   * too when the change stops trusting a certificate, since a crash must never bring a withdrawn
   * certificate back into a file other software reads; for a change that only adds trust, without
   * waiting for the disk. Losing such a write in a power cut only withholds the new peer from other
   * software until {@link #open} rebuilds the outputs from the list, and it saves a pairing six
   * fsyncs.
   */
  private void commit(Snapshot current, Snapshot next, AtomicWriter outputs) throws PairdException {
    byte[] json = TrustFiles.encodeJson(next.peers());
    if (json.length > maxFileBytes) {
      throw new PairdException(
          ErrorCode.LIMIT_REACHED,
          "the trusted list would grow past "
              + size(maxFileBytes)
              + ", more than paird reads back; remove a peer you no longer use with `pairctl"
              + " remove FINGERPRINT` first");
    }
    try {
      writer.write(jsonFile, json, AtomicFiles.PRIVATE);
    } catch (IOException e) {
      throw failed(
          e, jsonFile, current, e instanceof AtomicFiles.NotDurableException, false, false);
    }
    try {
      outputs.write(pemFile, TrustFiles.encodePem(next.peers(), encodings), AtomicFiles.PUBLIC);
    } catch (IOException e) {
      throw failed(e, pemFile, current, true, e instanceof AtomicFiles.NotDurableException, false);
    }
    try {
      ConsumerFiles.update(stateDir, current.peers(), next.peers(), outputs, encodings);
    } catch (IOException e) {
      // Some outputs may already be new: put them all back with the list, so that what other
      // software trusts stays what pairctl list-trusted shows.
      throw failed(e, stateDir, current, true, true, true);
    }
    snapshot = next;
  }

  /** Undoes what a failed change replaced and says what happened. */
  private PairdException failed(
      IOException cause,
      Path file,
      Snapshot current,
      boolean undoJson,
      boolean undoPem,
      boolean undoOutputs) {
    String what = "could not save the trusted list (" + file + ": " + reason(cause) + ")";
    try {
      if (undoJson) {
        if (current.jsonExists()) {
          writer.write(jsonFile, TrustFiles.encodeJson(current.peers()), AtomicFiles.PRIVATE);
        } else if (Files.deleteIfExists(jsonFile)) {
          AtomicFiles.fsyncDirectory(jsonFile.toAbsolutePath().getParent());
        }
      }
      if (undoPem) {
        writer.write(pemFile, TrustFiles.encodePem(current.peers(), encodings), AtomicFiles.PUBLIC);
      }
      if (undoOutputs) {
        // Reads every output: which of them the failed change had reached is not known.
        ConsumerFiles.write(stateDir, current.peers(), writer, encodings);
      }
    } catch (IOException undo) {
      PairdException failure =
          new PairdException(
              ErrorCode.INTERNAL,
              what
                  + " and could not put the old one back ("
                  + reason(undo)
                  + "); the change may still take effect when paird restarts",
              cause);
      failure.addSuppressed(undo);
      return failure;
    }
    return new PairdException(ErrorCode.INTERNAL, what + "; nothing was changed", cause);
  }

  /**
   * The file's bytes, or empty if it does not exist.
   *
   * @throws PairdException {@link ErrorCode#STATE_INVALID} if it cannot be read or is too large
   */
  private static Optional<byte[]> readBounded(Path file, int maxBytes) throws PairdException {
    Optional<byte[]> bytes;
    try {
      bytes = LocalFiles.readRegularFile(file, maxBytes);
    } catch (LocalFiles.UnsafeFileException e) {
      throw TrustFiles.invalid(
          file,
          e.getReason(),
          "paird reads only regular files in its state directory; move it aside, and restore"
              + " the list from a backup or start with an empty one (every peer must then be"
              + " paired again).",
          e);
    } catch (IOException e) {
      throw TrustFiles.invalid(
          file,
          "it cannot be read (" + reason(e) + ")",
          "Check its owner and permissions; if it is damaged, restore it from a backup or move it"
              + " aside to start with an empty list (every peer must then be paired again).",
          e);
    }
    if (bytes.isPresent() && bytes.get().length > maxBytes) {
      throw TrustFiles.invalid(
          file, "it is larger than " + size(maxBytes) + ", more than paird writes");
    }
    return bytes;
  }

  private static String size(int bytes) {
    return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
  }

  /** Why an I/O operation failed, without repeating the path the message already names. */
  private static String reason(IOException e) {
    if (e instanceof AtomicFiles.NotDurableException) {
      return e.getMessage() + ": " + reason((IOException) e.getCause());
    }
    return FileProblems.reason(e);
  }
}
