package org.viridian.management.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.viridian.management.config.AtomicFiles;

/**
 * Bearer tokens in {@code <state-dir>/tokens.json} (mode 0600). Only SHA-256 hashes are stored; a token is shown once,
 * when it is created. A token is either admin or scoped to a list of VMs (ids or names).
 */
public final class TokenStore {
    public static final String FILE = "tokens.json";
    public static final String PREFIX = "vdn_";
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Path file;
    private final ObjectMapper json;

    /** One stored token. */
    public record Token(String name, String sha256, boolean admin, List<String> vms) {
        public Token {
            vms = vms == null ? List.of() : List.copyOf(vms);
        }
    }

    public TokenStore(Path stateDir, ObjectMapper json) {
        this.file = stateDir.resolve(FILE);
        this.json = json;
    }

    public synchronized List<Token> list() throws IOException {
        if (!Files.exists(file)) return List.of();
        return json.readValue(file.toFile(), new TypeReference<List<Token>>() {});
    }

    /** Creates a token and returns its secret (not stored anywhere). */
    public synchronized String create(String name, boolean admin, List<String> vms) throws IOException {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new IllegalArgumentException("token name must be 1-63 letters, digits, '.', '_' or '-'");
        }
        if (!admin && (vms == null || vms.isEmpty())) {
            throw new IllegalArgumentException("a token is either admin or scoped to at least one VM");
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        List<Token> tokens = new ArrayList<>(list());
        tokens.removeIf(t -> t.name().equals(name));
        tokens.add(new Token(name, sha256(token), admin, vms));
        if (!Files.exists(file)) {
            Files.createDirectories(file.getParent());
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        AtomicFiles.write(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(tokens));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return token;
    }

    public Optional<Principal> authenticate(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 200) return Optional.empty();
        byte[] h = HexFormat.of().parseHex(sha256(token));
        try {
            for (Token t : list()) {
                if (MessageDigest.isEqual(h, HexFormat.of().parseHex(t.sha256()))) {
                    return Optional.of(
                            t.admin()
                                    ? new Principal.Admin(t.name())
                                    : new Principal.Scoped(t.name(), Set.copyOf(t.vms())));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
