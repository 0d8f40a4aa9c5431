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
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The devices this one trusts, kept in {@code trusted.json} in the state directory and, for the
 * changes since it was last written, in the journal {@code trusted.journal} ({@link TrustJournal}),
 * with the same certificates beside it in the forms other TLS software reads: {@code trusted.pem},
 * a PEM bundle, and the outputs of {@link ConsumerFiles} (an OpenSSL CApath directory {@code
 * trusted-certs/} and a PKCS#12 trust store {@code trusted.p12}).
 *
 * <p>What it guarantees:
 *
 * <ul>
 *   <li><b>Atomic.</b> A change ({@link #put}, {@link #remove}) is made whole or not at all. If
 *       writing fails, the method throws {@link ErrorCode#INTERNAL}, the files are put back and
 *       {@link #list()} is as before.
 *   <li><b>Durable once a method returns.</b> The change's journal line is fsynced before the
 *       method returns, and before any output changes; so are the outputs of a {@link #remove}. The
 *       journal is compacted into {@code trusted.json} (a temporary file, fsynced, renamed over the
 *       old one, the directory fsynced; then the journal emptied) once it holds more than {@link
 *       #MIN_COMPACT_CHANGES} changes and an eighth of the list, and by {@link #close}. A {@link
 *       #remove} withdraws the certificate in place in {@code trusted.pem} and {@code trusted.p12}
 *       ({@link WrittenOutputs}), flushed before it returns, then renames a {@code trusted.pem}
 *       written whole without it into place, unflushed. The outputs of a {@link #put}, which only
 *       adds trust, are renamed into place the same way but flushed only after it returns ({@link
 *       AdditionsFlush}): a power cut may lose them, which withholds the new peer from other
 *       software until {@link #open} rebuilds them.
 *   <li><b>Old or new after a crash.</b> A crash or power loss at any instant leaves {@code
 *       trusted.json} and the journal holding either the list before the change in flight or the
 *       list after it: a torn last journal line is dropped, and replaying a line twice changes
 *       nothing. The journal is written before {@code trusted.pem} and the other outputs, so after
 *       a crash each of them is either that of the list on disk or of the list one change before;
 *       {@link #open} rewrites each one that is not exactly what the list says.
 *   <li><b>Never silently empty.</b> A {@code trusted.json} or journal that is unreadable,
 *       malformed, of an unknown version or inconsistent makes {@link #open} fail with {@link
 *       ErrorCode#STATE_INVALID}, naming the file and what to do; only a missing file means an
 *       empty list.
 *   <li><b>Thread-safe.</b> Changes are serialized by one lock; reads take no lock and see an
 *       immutable snapshot that a change replaces only after every file is on disk.
 * </ul>
 *
 * <p>What it does not do: it does not stop two processes from writing the same directory (the
 * daemon holds a lock on its state directory for that); it does not judge certificates (expiry, key
 * strength): a peer is trusted by its exact certificate, whatever that says; and if a failed write
 * cannot be undone either (a failing disk), the exception says what was not put back: a journal
 * line that could not be cut back may make the change reappear after a restart, and outputs that
 * could not be put back are rewritten by the next change and at the next start. A full disk alone
 * does not get that far: {@code trusted.pem} is put back by renaming back a second name it is given
 * before each change that replaces it, and a new file in {@code trusted-certs/} by deleting it,
 * neither of which needs room.
 *
 * <p>Pairing a peer that is already trusted updates its entry rather than adding another: the host
 * and suite become those of the new pairing, the label too if one is given (otherwise the old label
 * stays), {@code updatedAt} becomes now, and {@code addedAt} keeps the first pairing's time, so the
 * list's order does not change. Nor do the outputs, which hold only the certificates in that order:
 * a re-pairing writes its journal line and leaves them as they are.
 */
public final class TrustStore implements AutoCloseable {
  /**
   * The most peers a store takes unless told otherwise: a hub paired with a fleet. What bounds it
   * is paird's heap (128 MiB, about 2 KiB a peer) and {@link #MAX_FILE_BYTES}; docs/PERFORMANCE.md
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

  /** Writes a file atomically and durably; {@link #DURABLE} except in tests. */
  @FunctionalInterface
  interface AtomicWriter {
    void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
        throws IOException;

    /**
     * {@link #write(Path, byte[], Set)} of the concatenation of {@code parts}; paird's own writers
     * write the parts one after the other instead of making it.
     */
    default void write(Path target, List<byte[]> parts, Set<PosixFilePermission> permissions)
        throws IOException {
      write(target, TrustFiles.concatenate(parts), permissions);
    }

    /**
     * {@link #write(Path, List, Set)}, except that the rename may become durable only when a later
     * write of the same change into the same directory returns: for {@code trusted.pem}, which
     * {@code trusted.p12} always follows.
     */
    default void writeBeforeAnother(
        Path target, List<byte[]> parts, Set<PosixFilePermission> permissions) throws IOException {
      write(target, parts, permissions);
    }

    /**
     * Puts {@code previous}, a second name that {@code target} was given before a failed change
     * replaced it, back in its place by renaming it over {@code target}: atomic, and it needs no
     * room on a full disk, where writing the old content again would fail as the change did.
     */
    default void restore(Path previous, Path target) throws IOException {
      Files.move(
          previous, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * {@link AtomicFiles#write}; a {@code trusted.pem} written before {@code trusted.p12} leaves the
   * state directory to the latter's flush, which makes both renames durable: a {@code remove} at
   * 10,000 peers then waits for one flush of the state directory fewer, some 20 to 40 ms on a busy
   * disk, and still returns only once every output is on disk.
   */
  static final AtomicWriter DURABLE = new FilesWriter(true);

  /** {@link AtomicFiles#replace}: for the outputs of a change that only adds trust. */
  static final AtomicWriter REPLACING = new FilesWriter(false);

  /** Writes with {@link AtomicFiles}, durably or not, a list of parts without concatenating it. */
  private static final class FilesWriter implements AtomicWriter {
    private final boolean durable;

    FilesWriter(boolean durable) {
      this.durable = durable;
    }

    @Override
    public void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
        throws IOException {
      write(target, List.of(content), permissions);
    }

    @Override
    public void write(Path target, List<byte[]> parts, Set<PosixFilePermission> permissions)
        throws IOException {
      if (durable) {
        AtomicFiles.write(target, parts, permissions);
      } else {
        AtomicFiles.replace(target, parts, permissions);
      }
    }

    @Override
    public void writeBeforeAnother(
        Path target, List<byte[]> parts, Set<PosixFilePermission> permissions) throws IOException {
      if (durable) {
        AtomicFiles.writeFlushingDirectoryLater(target, parts, permissions);
      } else {
        AtomicFiles.replace(target, parts, permissions);
      }
    }
  }

  /**
   * The fewest changes the journal holds before they are compacted into {@code trusted.json}; past
   * it, a change compacts when the journal holds more than an eighth of the list. Measured at
   * 10,000 peers: see docs/PERFORMANCE.md.
   */
  static final int MIN_COMPACT_CHANGES = 64;

  /**
   * More than what pretty-printing adds to a peer's compact JSON in {@code trusted.json}
   * (indentation, spaces around colons, line breaks): a journal line's length plus this bounds what
   * the peer adds to the list file, so the list's size is known without encoding it.
   */
  static final int PRETTY_OVERHEAD = 128;

  private static final Logger log = LoggerFactory.getLogger(TrustStore.class);

  private final Path stateDir;
  private final Path jsonFile;
  private final Path pemFile;
  private final int maxPeers;
  private final int maxFileBytes;
  private final AtomicWriter writer;
  private final AtomicWriter additions;
  private final PeerEncodings encodings;
  private final TrustJournal journal;
  private final int minCompactChanges;
  private final TrustChangedFlag changedFlag;
  private final Object writeLock = new Object();

  /**
   * Room held for the certificates of pairings in progress as the client ({@link #reserveRoomFor}):
   * each distinct certificate counts as one more peer, and as the bytes its record adds to {@code
   * trusted.json}, until it is saved, which takes its holds with it, or its holds are released.
   * Guarded by itself, as is the assignment of {@link #snapshot}, so that a certificate is never
   * counted both as held and as listed.
   */
  private final Set<Reservation> holds = new HashSet<>();

  private volatile TrustSnapshot snapshot;

  // Guarded by writeLock.
  /**
   * The {@link #digest} of {@code trusted.json} as last read or written, empty if there is none.
   */
  private Optional<String> base;

  /**
   * At least the size of {@code trusted.json} if it were written now. A change raises it together
   * with {@link #snapshot}, under {@link #holds}, where {@link #reserveRoomFor} reads both without
   * the write lock; compacting lowers it to the exact size.
   */
  private volatile long jsonBound;

  private boolean closed;

  /**
   * Set when a failed change could not put the outputs back either: they may hold neither the
   * list's certificates nor the failed change's, so the next change rewrites every one of them,
   * whatever it changes.
   */
  private boolean outputsUnknown;

  /**
   * What {@code trusted.pem} and {@code trusted.p12} hold, entry by entry, for a {@code remove} to
   * withdraw a certificate in place; null when not known (after a failed change), and the next
   * change that touches them writes them whole.
   */
  private WrittenOutputs written;

  /** Flushes the outputs of an addition once it has returned. */
  private final AdditionsFlush additionsFlush;

  /** The list's peers by subject hash, for {@code trusted-certs/}; follows {@link #snapshot}. */
  private final CaPathDirectory.Index capathIndex;

  private TrustStore(
      Path stateDir,
      int maxPeers,
      int maxFileBytes,
      AtomicWriter writer,
      AtomicWriter additions,
      PeerEncodings encodings,
      TrustSnapshot snapshot,
      CaPathDirectory.Index capathIndex,
      TrustJournal journal,
      int minCompactChanges,
      TrustChangedFlag changedFlag,
      Optional<String> base,
      long jsonBound) {
    this.stateDir = stateDir;
    this.jsonFile = stateDir.resolve(TrustFiles.JSON_NAME);
    this.pemFile = stateDir.resolve(TrustFiles.PEM_NAME);
    this.maxPeers = maxPeers;
    this.maxFileBytes = maxFileBytes;
    this.writer = writer;
    this.additions = additions;
    this.encodings = encodings;
    this.snapshot = snapshot;
    this.capathIndex = capathIndex;
    this.journal = journal;
    this.minCompactChanges = minCompactChanges;
    this.changedFlag = changedFlag;
    this.base = base;
    this.jsonBound = jsonBound;
    // open() has just made both files what the list says.
    this.written = WrittenOutputs.of(snapshot.peers());
    this.additionsFlush =
        new AdditionsFlush(
            List.of(pemFile, stateDir.resolve(ConsumerFiles.PKCS12_NAME)),
            List.of(stateDir.resolve(ConsumerFiles.CAPATH_NAME), stateDir));
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
    return open(stateDir, maxPeers, TrustChangedFlag.none());
  }

  /**
   * {@link #open(Path, int)}, raising {@code changedFlag} each time the outputs are replaced: after
   * a change that adds or removes a certificate, once {@code trusted.p12} is in place; after a
   * failed change that had replaced some of them, once they are put back; and here, if any output
   * was rewritten to bring it in line with the list.
   */
  public static TrustStore open(Path stateDir, int maxPeers, TrustChangedFlag changedFlag)
      throws PairdException {
    return open(
        stateDir, maxPeers, MAX_FILE_BYTES, DURABLE, REPLACING, MIN_COMPACT_CHANGES, changedFlag);
  }

  /** With {@code writer} for every file, additions' outputs too. */
  static TrustStore open(Path stateDir, int maxPeers, int maxFileBytes, AtomicWriter writer)
      throws PairdException {
    return open(stateDir, maxPeers, maxFileBytes, writer, writer, MIN_COMPACT_CHANGES);
  }

  /**
   * With {@code writer} for the list and for every output of a start-up or a change that stops
   * trusting a certificate, {@code additions} for the outputs of a change that only adds one, and
   * compacting the journal once it holds more than {@code minCompactChanges} changes and an eighth
   * of the list.
   */
  static TrustStore open(
      Path stateDir,
      int maxPeers,
      int maxFileBytes,
      AtomicWriter writer,
      AtomicWriter additions,
      int minCompactChanges)
      throws PairdException {
    return open(
        stateDir,
        maxPeers,
        maxFileBytes,
        writer,
        additions,
        minCompactChanges,
        TrustChangedFlag.none());
  }

  /** With {@code changedFlag} raised as {@link #open(Path, int, TrustChangedFlag)} says. */
  static TrustStore open(
      Path stateDir,
      int maxPeers,
      int maxFileBytes,
      AtomicWriter writer,
      AtomicWriter additions,
      int minCompactChanges,
      TrustChangedFlag changedFlag)
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
    checkBundle(pemFile);
    ListFile read = readList(jsonFile, maxFileBytes);
    List<TrustedPeer> listed = read.peers();
    Optional<String> base = read.base();
    Path journalFile = stateDir.resolve(TrustJournal.NAME);
    Optional<byte[]> journalBytes = readBounded(journalFile, maxFileBytes);
    TrustJournal.Contents contents =
        journalBytes.isPresent()
            ? TrustJournal.parse(journalFile, journalBytes.get())
            : TrustJournal.Contents.EMPTY;
    List<TrustedPeer> peers = replay(listed, contents.changes());
    // A journal that follows another trusted.json: either a compaction wrote the list and crashed
    // before emptying the journal (replaying it then changes nothing), or a program that ignores
    // the journal (an older paird, after a crash) changed the list since; its changes must not be
    // laid over that program's.
    boolean stale = contents.length() > 0 && !contents.base().equals(base);
    if (stale && !peers.equals(listed)) {
      throw TrustFiles.invalid(
          journalFile,
          "its changes follow another "
              + TrustFiles.JSON_NAME
              + " than the one beside it, which was changed since without them (by an older"
              + " paird, after a crash?)",
          "Move this file aside to keep "
              + TrustFiles.JSON_NAME
              + " as it is, then check pairctl list-trusted and pair or remove again what it"
              + " lacks.");
    }
    TrustJournal journal;
    try {
      journal = TrustJournal.open(journalFile, contents);
      if (stale) {
        journal.truncate(0);
      }
    } catch (IOException e) {
      throw TrustFiles.invalid(
          journalFile,
          "it cannot be written (" + reason(e) + ")",
          "Check its owner and permissions and those of the state directory.",
          e);
    }
    long jsonBound = read.length() + journal.length() + (long) journal.changes() * PRETTY_OVERHEAD;
    TrustSnapshot snapshot = TrustSnapshot.of(peers);
    PeerEncodings encodings = new PeerEncodings();
    // Compared part by part as it is read, not as two copies of 5 MB at 10,000 peers. The bundle
    // is derived from the list; whatever is wrong with it, the rewrite below decides.
    List<byte[]> pem = TrustFiles.pemParts(snapshot.peers(), encodings);
    boolean pemCurrent;
    try {
      pemCurrent = ConsumerFiles.holds(pemFile, pem);
    } catch (IOException e) {
      pemCurrent = false;
    }
    if (!pemCurrent) {
      try {
        writer.write(pemFile, pem, AtomicFiles.PUBLIC);
      } catch (IOException e) {
        throw new PairdException(
            AtomicFiles.startCode(e, ErrorCode.STATE_INVALID),
            "cannot bring the trusted-certificate bundle "
                + pemFile
                + " up to date: "
                + reason(e)
                + ". "
                + AtomicFiles.remedy(stateDir)
                + ", then start paird again",
            e);
      }
    }
    boolean consumersRewritten;
    try {
      consumersRewritten = ConsumerFiles.write(stateDir, snapshot.peers(), writer, encodings);
    } catch (LocalFiles.UnsafeFileException e) {
      throw new PairdException(
          ErrorCode.STATE_INVALID,
          "the output for other software "
              + e.getFile()
              + " is unusable: "
              + e.getReason()
              + ". paird makes it of its own; move it aside and paird makes it again from the list.",
          e);
    } catch (IOException e) {
      throw new PairdException(
          AtomicFiles.startCode(e, ErrorCode.STATE_INVALID),
          "cannot bring the trusted certificates for other software in "
              + stateDir
              + " up to date: "
              + reason(e)
              + ". "
              + AtomicFiles.remedy(stateDir)
              + ", then start paird again",
          e);
    }
    if (!pemCurrent || consumersRewritten) {
      // The outputs a crash left one change behind (or someone damaged) are what the list says
      // only now: what the programs derived from them may still be the old ones.
      changedFlag.raise();
    }
    return new TrustStore(
        stateDir,
        maxPeers,
        maxFileBytes,
        writer,
        additions,
        encodings,
        snapshot,
        new CaPathDirectory.Index(snapshot.peers(), encodings),
        journal,
        minCompactChanges,
        changedFlag,
        base,
        jsonBound);
  }

  /**
   * Refuses a {@code trusted.pem} that is a link, a FIFO or anything but a regular file, as the
   * list itself is refused: such a thing in paird's own state directory is someone's doing, not a
   * crash, and replacing it would hide that. A missing or unreadable one is written again below.
   */
  private static void checkBundle(Path pemFile) throws PairdException {
    try {
      LocalFiles.checkRegular(
          pemFile,
          Files.readAttributes(pemFile, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (LocalFiles.UnsafeFileException e) {
      throw new PairdException(
          ErrorCode.STATE_INVALID,
          "the trusted-certificate bundle "
              + pemFile
              + " is unusable: "
              + e.getReason()
              + ". paird writes it as a regular file of its own; move it aside and paird writes"
              + " it again from the list.",
          e);
    } catch (IOException e) {
      // Missing, or not readable as it is: rewriting it decides.
    }
  }

  /**
   * What {@link #open} keeps of {@code trusted.json}: its peers, the {@link #digest} of its bytes
   * (empty if there is no file) and its length (that of an empty list's if there is none).
   */
  private record ListFile(List<TrustedPeer> peers, Optional<String> base, long length) {}

  /**
   * Reads and decodes {@code trusted.json}. Its bytes are not kept: 8 MB at 10,000 peers, which
   * every collection while {@link #open} checks the outputs would otherwise copy.
   */
  private static ListFile readList(Path jsonFile, int maxFileBytes) throws PairdException {
    Optional<byte[]> json = readBounded(jsonFile, maxFileBytes);
    if (json.isEmpty()) {
      return new ListFile(List.of(), Optional.empty(), TrustFiles.encodeJson(List.of()).length);
    }
    return new ListFile(
        TrustFiles.decodeJson(jsonFile, json.get()),
        Optional.of(digest(json.get())),
        json.get().length);
  }

  /**
   * The list after {@code changes}; replaying one twice changes nothing, since each sets or deletes
   * one peer's whole record. Does not apply the peer cap: only new pairings are refused past it.
   */
  static List<TrustedPeer> replay(List<TrustedPeer> listed, List<TrustJournal.Change> changes) {
    if (changes.isEmpty()) {
      return listed;
    }
    Map<String, TrustedPeer> peers = new LinkedHashMap<>();
    for (TrustedPeer peer : listed) {
      peers.put(peer.fingerprint(), peer);
    }
    for (TrustJournal.Change change : changes) {
      if (change instanceof TrustJournal.Put put) {
        peers.put(put.peer().fingerprint(), put.peer());
      } else {
        peers.remove(((TrustJournal.Remove) change).fingerprint());
      }
    }
    List<TrustedPeer> replayed = new ArrayList<>(peers.values());
    replayed.sort(TrustFiles.ORDER);
    return replayed;
  }

  /**
   * What names {@code trusted.json}'s bytes in a journal's first line: their CRC32C and length. It
   * tells one list from another, not an attacker's from paird's (whoever can write the file needs
   * no collision), and costs milliseconds at 10,000 peers where SHA-256 took a tenth of a second.
   */
  static String digest(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return String.format(Locale.ROOT, "%08x-%d", crc.getValue(), bytes.length);
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
    return Fingerprints.normalizeHex(fingerprint).flatMap(snapshot::get);
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
   * Checks that the list has room for one more peer, counting the room that pairings in progress
   * hold, so that a pairing that could not keep a new one is refused before it starts.
   *
   * @throws PairdException {@link ErrorCode#LIMIT_REACHED} if the list is full
   */
  public void requireRoom() throws PairdException {
    requireRoom(snapshot, null);
  }

  /**
   * As {@link #requireRoom()} for {@code current}, not counting the room held for the certificate
   * {@code own} (a fingerprint, or null), which is the one to be added.
   */
  private void requireRoom(TrustSnapshot current, String own) throws PairdException {
    int held;
    synchronized (holds) {
      held = heldFor(own);
    }
    if (current.size() + held >= maxPeers) {
      throw full(current.size(), held);
    }
  }

  /**
   * The bytes held for certificates other than {@code own} (each certificate's largest hold once);
   * called holding {@link #holds}.
   */
  private long heldBytesFor(String own) {
    Map<String, Long> bytes = new HashMap<>();
    for (Reservation hold : holds) {
      if (!hold.fingerprint.equals(own)) {
        bytes.merge(hold.fingerprint, hold.bytes, Math::max);
      }
    }
    long sum = 0;
    for (long each : bytes.values()) {
      sum += each;
    }
    return sum;
  }

  /** How many certificates other than {@code own} have room held; called holding {@link #holds}. */
  private int heldFor(String own) {
    Set<String> certificates = new HashSet<>();
    for (Reservation hold : holds) {
      if (!hold.fingerprint.equals(own)) {
        certificates.add(hold.fingerprint);
      }
    }
    return certificates.size();
  }

  private PairdException full(int peers, int held) {
    return new PairdException(
        ErrorCode.LIMIT_REACHED,
        "the trusted list is full ("
            + peers
            + " peers"
            + (held == 0 ? "" : " and " + held + " being paired with")
            + ", at most "
            + maxPeers
            + "); remove a peer you no longer use with pairctl remove, then pair again");
  }

  /**
   * Room in the list held for one certificate while this device pairs with it as the client, from
   * {@link #reserveRoomFor} until the certificate is saved or {@link Reservation#release} is called
   * (whichever comes first; releasing twice, or after the save, does nothing).
   */
  public final class Reservation {
    private final String fingerprint;
    private final long bytes; // at most what its record adds to trusted.json

    private Reservation(String fingerprint, long bytes) {
      this.fingerprint = fingerprint;
      this.bytes = bytes;
    }

    /** Gives the room back; the pairing has ended, saved or not. */
    public void release() {
      synchronized (holds) {
        holds.remove(this);
      }
    }

    @Override
    public String toString() {
      return "Reservation[" + fingerprint.substring(0, 16) + "...]";
    }
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
      TrustSnapshot current = snapshot;
      TrustedPeer peer = entry(current, certificate, host, suite, label, now);
      // Re-pairing keeps the certificate: a put never stops trusting one.
      commit(current, current.with(peer), new TrustJournal.Put(peer), additions);
      return peer;
    }
  }

  /**
   * Checks that {@link #put} of {@code certificate} would not be refused now, and holds its place
   * in the list until it is saved or the returned reservation is released: that the list has room
   * for it if it is new, counting the room other pairings hold, that its record fits a journal line
   * and that the list with it stays within {@link #MAX_FILE_BYTES}, both counting what other
   * pairings hold. A device pairing as the client asks this as soon as TLS has shown it the other
   * device's certificate, before the exchange: the other device saves trust first, so a certificate
   * refused only after the exchange would leave it trusting this one alone (PROTOCOL.md, §7). The
   * held place and bytes are what keep a second pairing, or a pairing as the server, from taking
   * the room meanwhile: of two reservations made at once, the later counts the earlier's hold.
   * Takes only the small lock of the holds: it may run on an event loop while a change is being
   * written, and {@link #put} checks again. When its bound says the list may not fit, it encodes
   * the list to count its bytes (some 100 ms at 16 MiB, keeping none of them), outside that lock.
   *
   * @throws PairdException {@link ErrorCode#LIMIT_REACHED} if the put would be refused for room,
   *     {@link ErrorCode#INVALID_ARGUMENT} if the host or label is not acceptable
   */
  public Reservation reserveRoomFor(
      X509Certificate certificate, String host, Suite suite, Optional<String> label, Instant now)
      throws PairdException {
    TrustSnapshot current = snapshot;
    TrustedPeer peer = entry(current, certificate, host, suite, label, now);
    byte[] line = TrustJournal.line(new TrustJournal.Put(peer));
    Reservation hold = new Reservation(peer.fingerprint(), line.length + PRETTY_OVERHEAD);
    long heldBytes;
    TrustSnapshot latest;
    long latestBound;
    synchronized (holds) {
      // The list and its bound as the last change left them: a change sets both under this lock.
      latest = snapshot;
      latestBound = jsonBound;
      if (latest.get(peer.fingerprint()).isEmpty()) {
        int held = heldFor(peer.fingerprint());
        if (latest.size() + held >= maxPeers) {
          throw full(latest.size(), held);
        }
        holds.add(hold);
      }
      heldBytes = heldBytesFor(peer.fingerprint());
    }
    try {
      requireFits(line, latestBound + hold.bytes, heldBytes, latest.with(peer));
    } catch (PairdException e) {
      hold.release();
      throw e;
    }
    return hold;
  }

  /**
   * The entry {@link #put} makes of {@code certificate}: a new one, or its existing one updated.
   *
   * @throws PairdException {@link ErrorCode#INVALID_ARGUMENT} if the host or label is not
   *     acceptable, {@link ErrorCode#LIMIT_REACHED} if the certificate is new and the list is full
   */
  private TrustedPeer entry(
      TrustSnapshot current,
      X509Certificate certificate,
      String host,
      Suite suite,
      Optional<String> label,
      Instant now)
      throws PairdException {
    TrustedPeer existing = current.get(Certificates.fingerprint(certificate)).orElse(null);
    TrustedPeer peer;
    try {
      peer =
          existing == null
              ? TrustedPeer.create(certificate, host, suite, label, now)
              : existing.repaired(host, suite, label, now);
    } catch (IllegalArgumentException e) {
      throw new PairdException(ErrorCode.INVALID_ARGUMENT, e.getMessage(), e);
    }
    if (existing == null) {
      requireRoom(current, peer.fingerprint());
    }
    return peer;
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
      TrustSnapshot current = snapshot;
      Optional<TrustedPeer> existing = Fingerprints.normalizeHex(fingerprint).flatMap(current::get);
      if (existing.isPresent()) {
        commit(
            current,
            current.without(existing.get()),
            new TrustJournal.Remove(existing.get().fingerprint()),
            writer);
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
   * Writes every change still only in the journal into {@code trusted.json}, empties the journal
   * and takes no more changes: on a clean stop, so that an older paird, which ignores the journal,
   * still sees every change. A failure leaves the journal, which the next start replays.
   */
  @Override
  public void close() {
    synchronized (writeLock) {
      if (closed) {
        return;
      }
      closed = true;
      try {
        if (journal.length() > 0) {
          compact(snapshot);
        }
      } catch (IOException e) {
        log.warn(
            "could not write the trusted list into {} on stopping ({}); the next start reads"
                + " its changes from {}",
            jsonFile,
            reason(e),
            journal.file());
      } finally {
        try {
          journal.close();
        } catch (IOException e) {
          log.warn("could not close {}: {}", journal.file(), reason(e));
        }
      }
    }
  }

  /**
   * Appends {@code change}, which makes {@code next} of {@code current}, to the journal, writes the
   * outputs, then publishes {@code next}; compacts the journal if it has grown enough. On failure
   * cuts the journal back and puts back what the failed change had already replaced, so that disk
   * and memory keep agreeing.
   *
   * <p>The journal line is always on disk before the outputs change and before the method returns,
   * where trusted.json's fsync was before the journal. The outputs are written with {@code
   * outputs}: durably too when the change stops trusting a certificate, since a crash must never
   * bring a withdrawn certificate back into a file other software reads; for a change that only
   * adds trust, without waiting for the disk. Losing such a write in a power cut only withholds the
   * new peer from other software until {@link #open} rebuilds the outputs from the list, and it
   * saves a pairing six fsyncs.
   */
  private void commit(
      TrustSnapshot current, TrustSnapshot next, TrustJournal.Change change, AtomicWriter outputs)
      throws PairdException {
    if (closed) {
      throw new PairdException(
          ErrorCode.INTERNAL, "paird is stopping and takes no more changes to the trusted list");
    }
    byte[] line = TrustJournal.line(change);
    long bound =
        jsonBound + (change instanceof TrustJournal.Put ? line.length + PRETTY_OVERHEAD : 0);
    long heldBytes = 0;
    if (change instanceof TrustJournal.Put put) {
      // A removal always fits; an addition leaves room for what pairings in progress hold.
      synchronized (holds) {
        heldBytes = heldBytesFor(put.peer().fingerprint());
      }
    }
    boolean compactNow = requireFits(line, bound, heldBytes, next);
    if (journal.length() > 0 && journal.length() + line.length > maxFileBytes / 2) {
      // Only with huge certificates: the journal stays well within what open() reads back.
      try {
        compact(current);
      } catch (IOException e) {
        throw new PairdException(
            ErrorCode.INTERNAL,
            "could not save the trusted list ("
                + jsonFile
                + ": "
                + reason(e)
                + "); nothing was changed. "
                + AtomicFiles.remedy(stateDir)
                + ", then try again",
            e);
      }
    }
    // What the change does to the outputs. A re-pairing keeps the certificate and its place in the
    // list (addedAt), which is all the outputs hold: writing them again, byte for byte, would only
    // make paird-trust-changed.path run the hooks, and reload the services they feed, for nothing.
    // Any other change adds or removes one peer, which touches the files of its subject hash in
    // trusted-certs/.
    TrustedPeer changed;
    boolean certificatesChange;
    if (change instanceof TrustJournal.Put put) {
      changed = put.peer();
      certificatesChange = current.get(changed.fingerprint()).isEmpty();
    } else {
      changed = current.get(((TrustJournal.Remove) change).fingerprint()).orElseThrow();
      certificatesChange = true;
    }
    Optional<String> hash = encodings.of(changed).subjectHash();
    List<TrustedPeer> hadHashPeers = hash.map(capathIndex::peers).orElse(List.of());
    List<TrustedPeer> hashPeers =
        change instanceof TrustJournal.Put
            ? CaPathDirectory.Index.with(hadHashPeers, changed)
            : CaPathDirectory.Index.without(hadHashPeers, changed.fingerprint());
    long journalBefore = journal.length();
    try {
      journal.append(line, base);
    } catch (IOException e) {
      // append() has cut the journal back, or says in a suppressed exception that it could not.
      throw failed(e, journal.file(), current, -1, false, false, Optional.empty());
    }
    boolean outputsReplaced = outputsUnknown || certificatesChange;
    if (outputsUnknown) {
      try {
        outputs.write(pemFile, TrustFiles.pemParts(next.peers(), encodings), AtomicFiles.PUBLIC);
        ConsumerFiles.write(stateDir, next.peers(), outputs, encodings);
        outputsUnknown = false;
        written = WrittenOutputs.of(next.peers());
      } catch (IOException e) {
        throw failed(e, stateDir, current, journalBefore, true, true, Optional.empty());
      }
    } else if (change instanceof TrustJournal.Remove
        && written != null
        && !next.peers().isEmpty()
        && ConsumerFiles.hasCaPath(stateDir)) {
      // A certificate withdrawn where it lies in trusted.pem and trusted.p12: a byte of each
      // flushed, where writing both whole flushed 10.5 MB at 10,000 peers (WrittenOutputs). The
      // last peer's removal still leaves empty files, which some software reads differently from
      // files of text without a certificate.
      boolean inPlace;
      try {
        ConsumerFiles.updateCaPath(stateDir, hash, hadHashPeers, hashPeers, outputs, encodings);
        // The names an earlier pairing gave its outputs without flushing them are made to last
        // before the files they name are changed: the withdrawal is in those files.
        AtomicFiles.fsyncDirectory(stateDir);
        inPlace =
            written.withdraw(
                pemFile,
                stateDir.resolve(ConsumerFiles.PKCS12_NAME),
                changed,
                current.peers(),
                encodings);
        if (!inPlace) {
          // Not what paird wrote (someone changed them): written whole, durably, in order.
          outputs.writeBeforeAnother(
              pemFile, TrustFiles.pemParts(next.peers(), encodings), AtomicFiles.PUBLIC);
          ConsumerFiles.rewritePkcs12(stateDir, next.peers(), outputs, encodings);
          written = WrittenOutputs.of(next.peers());
        }
      } catch (IOException e) {
        throw failed(e, stateDir, current, journalBefore, true, true, Optional.empty());
      }
      if (inPlace) {
        rewriteWithdrawnPem(current, next, changed);
      }
    } else if (certificatesChange) {
      Optional<Path> previousPem = keepPreviousPem();
      try {
        try {
          // ConsumerFiles.update writes trusted.p12 into the same directory last.
          // The kept parts, not copied into one array: 5 MB at 10,000 peers.
          outputs.writeBeforeAnother(
              pemFile, TrustFiles.pemParts(next.peers(), encodings), AtomicFiles.PUBLIC);
        } catch (IOException e) {
          throw failed(
              e,
              pemFile,
              current,
              journalBefore,
              e instanceof AtomicFiles.NotDurableException,
              false,
              previousPem);
        }
        try {
          ConsumerFiles.update(
              stateDir, next.peers(), hash, hadHashPeers, hashPeers, outputs, encodings);
        } catch (IOException e) {
          // Some outputs may already be new: put them all back with the list, so that what other
          // software trusts stays what pairctl list-trusted shows.
          throw failed(e, stateDir, current, journalBefore, true, true, previousPem);
        }
        written = WrittenOutputs.of(next.peers());
      } finally {
        previousPem.ifPresent(TrustStore::deleteQuietly);
      }
    }
    if (outputsReplaced) {
      // trusted.p12, the last output, is in place. A re-pairing raises nothing: no output changed.
      changedFlag.raise();
      if (outputs != writer) {
        // Renamed into place without waiting for the disk: flushed now, after the answer.
        additionsFlush.request();
      }
    }
    synchronized (holds) {
      snapshot = next;
      jsonBound = bound;
      if (change instanceof TrustJournal.Put) {
        // A saved certificate needs no room held: it has its place.
        holds.removeIf(hold -> hold.fingerprint.equals(changed.fingerprint()));
      }
    }
    hash.ifPresent(h -> capathIndex.set(h, hashPeers));
    if (compactNow || journal.changes() > Math.max(minCompactChanges, next.peers().size() / 8)) {
      try {
        compact(next);
      } catch (IOException e) {
        // The change is on disk in the journal; the next change tries again.
        log.warn("could not compact the trusted list into {}: {}", jsonFile, reason(e));
      }
    }
  }

  /**
   * Writes {@code trusted.pem} whole for {@code next} after {@link WrittenOutputs#withdraw} took
   * {@code withdrawn} out of it in place, for Java's PEM reader, which refuses the withdrawn form.
   * Not flushed before the answer, like an addition's outputs: the withdrawal in the old file is
   * what a power cut must keep, and it is on disk. If the file cannot be written (a full disk), its
   * withdrawn entry's END line becomes a comment too, and the next change or start writes it.
   */
  private void rewriteWithdrawnPem(
      TrustSnapshot current, TrustSnapshot next, TrustedPeer withdrawn) {
    try {
      additions.write(pemFile, TrustFiles.pemParts(next.peers(), encodings), AtomicFiles.PUBLIC);
      additionsFlush.request();
    } catch (IOException e) {
      log.warn(
          "could not write {} again without the certificate withdrawn from it ({}); it keeps it"
              + " as a comment until the next change or start",
          pemFile,
          reason(e));
      try {
        WrittenOutputs.withdrawEndLine(pemFile, withdrawn, current.peers(), encodings);
      } catch (IOException again) {
        log.warn(
            "could not finish withdrawing the certificate from {} ({}); Java's PEM reader may"
                + " refuse it until the next change or start",
            pemFile,
            reason(again));
      }
    }
  }

  /**
   * Refuses a change whose journal line, or whose list {@code next} in {@code trusted.json} with
   * {@code held} bytes more (held for pairings in progress), would be larger than paird reads back;
   * {@code bound} is at least the size of that list. Returns whether the list must be compacted
   * with the change: the bound passed the limit, the list did not.
   *
   * @throws PairdException {@link ErrorCode#LIMIT_REACHED} naming which
   */
  private boolean requireFits(byte[] line, long bound, long held, TrustSnapshot next)
      throws PairdException {
    if (line.length > TrustJournal.MAX_LINE_BYTES) {
      throw new PairdException(
          ErrorCode.LIMIT_REACHED,
          "the peer's certificate is too large to keep ("
              + line.length
              + " bytes as a journal line, at most "
              + TrustJournal.MAX_LINE_BYTES
              + ")");
    }
    if (bound + held <= maxFileBytes) {
      return false;
    }
    // The bound overestimates (a re-pairing or a removal does not lower it); only the list itself
    // says whether it fits.
    if (TrustFiles.jsonLength(next.peers()) + held > maxFileBytes) {
      throw new PairdException(
          ErrorCode.LIMIT_REACHED,
          "the trusted list would grow past "
              + size(maxFileBytes)
              + (held == 0 ? "" : " with the " + size(held) + " held for pairings in progress")
              + ", more than paird reads back; remove a peer you no longer use with `pairctl"
              + " remove FINGERPRINT` first");
    }
    return bound > maxFileBytes;
  }

  /**
   * Writes {@code current} to {@code trusted.json}, atomically and durably, then empties the
   * journal. A crash between the two leaves a journal whose changes the new list already holds;
   * {@link #open} finds that replaying them changes nothing and empties it.
   */
  private void compact(TrustSnapshot current) throws IOException {
    byte[] json = TrustFiles.encodeJson(current.peers());
    try {
      writer.write(jsonFile, json, AtomicFiles.PRIVATE);
    } catch (AtomicFiles.NotDurableException e) {
      // The new list is in place, though not yet surely on disk: the journal's first line no
      // longer names it, so it must start afresh either way.
      base = Optional.of(digest(json));
      jsonBound = json.length;
      journal.truncate(0);
      throw e;
    }
    base = Optional.of(digest(json));
    jsonBound = json.length;
    journal.truncate(0);
  }

  /**
   * A second name for {@code trusted.pem} as it is, {@code .trusted.pem.tmp-previous}, which a
   * failed change renames back over the file it replaced: on a full disk, the old content could not
   * be written again, and the failed change's certificate would stay in what other software reads.
   * Empty if the link cannot be made (then the old content is written again). {@link
   * AtomicFiles#removeLeftovers} deletes one a crash left.
   */
  private Optional<Path> keepPreviousPem() {
    Path previous = pemFile.resolveSibling("." + TrustFiles.PEM_NAME + ".tmp-previous");
    try {
      Files.deleteIfExists(previous);
      Files.createLink(previous, pemFile);
      return Optional.of(previous);
    } catch (IOException e) {
      log.debug("cannot link {} to {}: {}", previous, pemFile, reason(e));
      return Optional.empty();
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A leftover: the next change replaces it, the next start deletes it.
      log.debug("cannot delete {}: {}", file, reason(e));
    }
  }

  /**
   * Undoes what a failed change replaced and says what happened: cuts the journal back to {@code
   * journalBefore} bytes unless that is negative. Raises the flag if it puts outputs back: a
   * program that ran meanwhile may have derived its files from the failed change's.
   */
  private PairdException failed(
      IOException cause,
      Path file,
      TrustSnapshot current,
      long journalBefore,
      boolean undoPem,
      boolean undoOutputs,
      Optional<Path> previousPem) {
    PairdException failure =
        undo(cause, file, current, journalBefore, undoPem, undoOutputs, previousPem);
    if (undoPem || undoOutputs) {
      changedFlag.raise();
    }
    return failure;
  }

  /**
   * {@link #failed}, but for the flag. Each file is put back whatever became of the others: on a
   * full disk, {@code trusted.pem} may still be renamed back ({@code previousPem}) and the failed
   * change's file in {@code trusted-certs/} deleted, neither of which needs room.
   */
  private PairdException undo(
      IOException cause,
      Path file,
      TrustSnapshot current,
      long journalBefore,
      boolean undoPem,
      boolean undoOutputs,
      Optional<Path> previousPem) {
    String what = "could not save the trusted list (" + file + ": " + reason(cause) + ")";
    // Whatever is put back, the next change that touches the outputs writes them whole.
    written = null;
    IOException journalKept = null;
    try {
      if (cause.getSuppressed().length > 0 && cause.getSuppressed()[0] instanceof IOException u) {
        throw u;
      }
      if (journalBefore >= 0) {
        journal.truncate(journalBefore);
      }
    } catch (IOException undo) {
      journalKept = undo;
    }
    IOException outputsKept = null;
    if (undoPem) {
      try {
        restorePem(current, previousPem);
      } catch (IOException undo) {
        outputsKept = undo;
      }
    }
    if (undoOutputs) {
      try {
        // Reads every output: which of them the failed change had reached is not known.
        ConsumerFiles.write(stateDir, current.peers(), writer, encodings);
      } catch (IOException undo) {
        if (outputsKept == null) {
          outputsKept = undo;
        } else {
          outputsKept.addSuppressed(undo);
        }
      }
    }
    if (journalKept == null && outputsKept == null) {
      return new PairdException(
          ErrorCode.INTERNAL,
          what + "; nothing was changed. " + AtomicFiles.remedy(stateDir) + ", then try again",
          cause);
    }
    outputsUnknown = true;
    PairdException failure;
    if (journalKept != null) {
      failure =
          new PairdException(
              ErrorCode.INTERNAL,
              what
                  + " and could not put the old one back ("
                  + reason(journalKept)
                  + "); the change may still take effect when paird restarts. "
                  + AtomicFiles.remedy(stateDir),
              cause);
      failure.addSuppressed(journalKept);
    } else {
      failure =
          new PairdException(
              ErrorCode.INTERNAL,
              what
                  + "; the list is unchanged, but could not put the old files for other software"
                  + " back ("
                  + reason(outputsKept)
                  + "): the next change or start rewrites them from the list. "
                  + AtomicFiles.remedy(stateDir),
              cause);
    }
    if (outputsKept != null) {
      failure.addSuppressed(outputsKept);
    }
    return failure;
  }

  /**
   * Puts {@code trusted.pem} back as {@code current} has it: renames {@code previous} back if there
   * is one, else (or if that fails) writes it again.
   */
  private void restorePem(TrustSnapshot current, Optional<Path> previous) throws IOException {
    if (previous.isPresent()) {
      try {
        writer.restore(previous.get(), pemFile);
        return;
      } catch (IOException e) {
        log.debug("cannot rename {} back: {}", previous.get(), reason(e));
      }
    }
    writer.write(pemFile, TrustFiles.encodePem(current.peers(), encodings), AtomicFiles.PUBLIC);
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
    if (bytes.isPresent()) {
      checkOwn(file);
    }
    return bytes;
  }

  /**
   * Refuses a list file that another user owns or that users other than its owner may write to:
   * paird writes both files mode 0600, so such a file is someone's doing, and whoever may write to
   * it may have added peers nobody paired (the state directory's mode 0711 lets anyone open a file
   * in it by name). One that others may only read is made 0600 again.
   */
  private static void checkOwn(Path file) throws PairdException {
    try {
      PosixFileAttributes attributes =
          Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      int owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int self = LocalFiles.processUid();
      if (owner != self) {
        throw TrustFiles.invalid(
            file,
            "it is owned by uid " + owner + ", not by uid " + self + " that paird runs as",
            "Another user may have added peers to it: check the peers it lists, then run `chown "
                + self
                + " "
                + file
                + "`.");
      }
      Set<PosixFilePermission> permissions = attributes.permissions();
      if (permissions.contains(PosixFilePermission.GROUP_WRITE)
          || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw TrustFiles.invalid(
            file,
            "other users may write to it (mode " + LocalFiles.mode(attributes) + ")",
            "They may have added peers to it: check the peers it lists, then run `chmod 600 "
                + file
                + "`.");
      }
      if (!permissions.equals(AtomicFiles.PRIVATE)) {
        Files.setPosixFilePermissions(file, AtomicFiles.PRIVATE);
      }
    } catch (IOException e) {
      throw TrustFiles.invalid(
          file,
          "its owner and mode cannot be read or set (" + reason(e) + ")",
          "Check its owner and permissions.",
          e);
    }
  }

  private static String size(long bytes) {
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
