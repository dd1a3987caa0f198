// Entry of the LiT page: defines <lit-app> (which does the rest).
import './lit-app';
