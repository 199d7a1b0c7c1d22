-- Cluster names are unique whatever their case, as the API checks them: two registrations
-- racing for "Lab" and "lab" cannot both land.
CREATE UNIQUE INDEX clusters_name_lower ON clusters (lower(name));
