package dev.lobbyhub.registry;

/**
 * One entry of a lobby's log (SPEC §11): its offset, the frame as members get it, and who it is
 * meant for: only {@code only} when set (a direct message), everyone but {@code except} (the
 * sender, or the member a presence event is about).
 */
public record LogEntry(long offset, String frame, String only, String except) {

    public boolean meantFor(String userId) {
        return (only == null || only.equals(userId)) && !userId.equals(except);
    }

    /** Whether this member hears it live: meant for it and after the member took its seat. */
    boolean reaches(Session member) {
        return offset > member.liveAfter() && meantFor(member.userId());
    }
}
