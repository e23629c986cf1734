/**
 * {@code @QuarkusIntegrationTest} twins of the socket and admin tests that talk to the server only over the
 * wire: each {@code XxxIT} runs every test of its base {@code XxxTest} against the built artifact, in its own
 * process and in the prod profile. That is the packaged jar in {@code ./mvnw verify}, and the native binary
 * when the build made one ({@code -Dnative}); {@code -Dit.test='dev.lobbyhub.packaged.*IT'} runs only these.
 * The artifact is started once for all of them, with the test profile's settings
 * ({@link dev.lobbyhub.testing.PackagedTestSettings}).
 */
package dev.lobbyhub.packaged;
