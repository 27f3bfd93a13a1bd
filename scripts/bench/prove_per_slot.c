/*
 * The prove-per-slot baseline for scripts/bench-leaderlog.sh: a Praos leader schedule
 * computed as today's tools compute it, with the VRF of the libsodium fork cardano-node
 * links (IntersectMBO/libsodium): for every slot of the epoch a full proof
 * (crypto_vrf_ietfdraft03_prove), then its hash (crypto_vrf_ietfdraft03_proof_to_hash),
 * then the Praos leader value and the leader test.
 *
 * usage: prove_per_slot THREADS SKEY_HEX(128) NONCE_HEX(64) FIRST_SLOT SLOTS
 *                       POOL_STAKE ACTIVE_STAKE F_NUM F_DEN
 * prints the won slots, one per line, in slot order.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static int
parse_hex(const char *hex, unsigned char *out, size_t len)
{
    size_t bin_len = 0;
    if (strlen(hex) != 2 * len ||
        sodium_hex2bin(out, len, hex, strlen(hex), NULL, &bin_len, NULL) != 0 ||
        bin_len != len) {
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc != 10) {
        fprintf(stderr, "usage: %s THREADS SKEY_HEX NONCE_HEX FIRST_SLOT SLOTS "
                        "POOL_STAKE ACTIVE_STAKE F_NUM F_DEN\n", argv[0]);
        return 2;
    }
    int                 threads = atoi(argv[1]);
    unsigned char       skey[64], nonce[32];
    unsigned long long  first = strtoull(argv[4], NULL, 10);
    unsigned long long  slots = strtoull(argv[5], NULL, 10);
    long double         sigma = strtold(argv[6], NULL) / strtold(argv[7], NULL);
    long double         f = strtold(argv[8], NULL) / strtold(argv[9], NULL);

    if (sodium_init() < 0 || threads < 1 || parse_hex(argv[2], skey, 64) != 0 ||
        parse_hex(argv[3], nonce, 32) != 0 || slots == 0) {
        fprintf(stderr, "bad arguments (the key is 64 bytes, the nonce 32, in hex)\n");
        return 2;
    }
    /* Praos: a slot is won when leader_value / 2^256 < 1 - (1 - f)^sigma. */
    const long double p = 1.0L - powl(1.0L - f, sigma);
    unsigned char    *won = calloc(slots, 1);

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1024)
    for (unsigned long long i = 0; i < slots; i++) {
        unsigned char input[40], alpha[32], proof[80], output[64], value[32];
        unsigned long long slot = first + i;
        for (int b = 0; b < 8; b++) {
            input[b] = (unsigned char) (slot >> (56 - 8 * b));
        }
        memcpy(input + 8, nonce, 32);
        /* mkInputVRF: blake2b-256(slot as 8 bytes big-endian || epoch nonce). */
        crypto_generichash(alpha, 32, input, 40, NULL, 0);
        if (crypto_vrf_ietfdraft03_prove(proof, skey, alpha, 32) != 0 ||
            crypto_vrf_ietfdraft03_proof_to_hash(output, proof) != 0) {
            fprintf(stderr, "libsodium refused the key\n");
            exit(1);
        }
        /* Praos leader value: blake2b-256("L" || output). */
        crypto_generichash_state st;
        crypto_generichash_init(&st, NULL, 0, 32);
        crypto_generichash_update(&st, (const unsigned char *) "L", 1);
        crypto_generichash_update(&st, output, 64);
        crypto_generichash_final(&st, value, 32);
        long double v = 0.0L;
        for (int b = 15; b >= 0; b--) {
            v = (v + value[b]) / 256.0L;
        }
        won[i] = v < p;
    }
    for (unsigned long long i = 0; i < slots; i++) {
        if (won[i]) {
            printf("%llu\n", first + i);
        }
    }
    free(won);
    return 0;
}
